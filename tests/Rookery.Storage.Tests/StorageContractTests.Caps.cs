namespace Rookery.Storage.Tests;

/// <content>Verified entity capabilities hashes (XEP-0115 §5.4).</content>
public abstract partial class StorageContractTests
{
    [StorageFact]
    public async Task Caps_Unknown_IsNull()
    {
        (await Storage.Caps.GetAsync("sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=")).Should().BeNull();
    }

    [StorageFact]
    public async Task Caps_Put_ReadBackByAlgorithmAndVer_AlsoFromAnotherInstance()
    {
        string[] features = ["http://jabber.org/protocol/disco#info", "urn:xmpp:avatar:metadata+notify", "\uFA0E-feature", "\U00020000-feature"];
        await Storage.Caps.PutAsync("sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=", features);

        (await Storage.Caps.GetAsync("sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=")).Should().BeEquivalentTo(features);
        (await Storage.Caps.GetAsync("sha-256", "QgayPKawpkPSDYmwT/WM94uAlu0=")).Should().BeNull("the algorithm is part of the key");
        (await Storage.Caps.GetAsync("sha-1", "qgaypkawpkpsdymwt/wm94ualu0=")).Should().BeNull("ver is compared exactly (base64 is case-sensitive)");
        // A restart (or another node on the same database) knows the hash without asking again.
        var other = await OpenAsync();
        (await other.Caps.GetAsync("sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=")).Should().BeEquivalentTo(features);
    }

    [StorageFact]
    public async Task Caps_PutTwice_FirstEntryKept_NoError()
    {
        await Storage.Caps.PutAsync("sha-256", "v", ["a", "b"]);

        await Storage.Caps.PutAsync("sha-256", "v", ["a", "b", "c"]);

        (await Storage.Caps.GetAsync("sha-256", "v")).Should().BeEquivalentTo(["a", "b"]);
    }

    [StorageFact]
    public async Task Caps_NoFeatures_StoredAsEmpty()
    {
        await Storage.Caps.PutAsync("sha-1", "empty", []);

        (await Storage.Caps.GetAsync("sha-1", "empty")).Should().BeEmpty();
    }
}
