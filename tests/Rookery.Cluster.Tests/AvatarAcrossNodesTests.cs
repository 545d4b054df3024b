using System.Security.Cryptography;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Avatar conversion (XEP-0398) in a cluster: each node caches the avatar hash it puts into presence, and a vCard photo
/// stored through one node replaces the hash another node had cached, so the user's resource there advertises the new one.
/// </summary>
[Trait("Category", "Slow")]
public sealed class AvatarAcrossNodesTests
{
    private const string Update = "vcard-temp:x:update";

    [PostgresFact]
    public async Task VCardPhoto_SetThroughOneNode_PresenceThroughTheOtherCarriesTheNewHash()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var domain = TestCluster.Domain;
        byte[] image = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8];
        var hash = Convert.ToHexStringLower(SHA1.HashData(image));
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(nodes[1], "bob", "pc");
            // alice's phone on node b: its initial presence has node b load (and cache) the hash of no avatar.
            var phone = await cluster.LoginAsync(nodes[1], "alice", "phone");
            var first = await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{domain}/phone", TestCluster.Wait);
            first.Child("x", Update).Should().BeNull("alice has no avatar yet");
            var laptop = await cluster.LoginAsync(nodes[0], "alice", "laptop");

            var set = await laptop.IqAsync(
                $"<iq type='set' id='v1'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>{Convert.ToBase64String(image)}</BINVAL></PHOTO></vCard></iq>", "v1");
            set.GetAttribute("type").Should().Be("result");
            // A change reaches the other node in order with the stanzas forwarded after it: once this message is there,
            // so is the change.
            await laptop.SendAsync($"<message to='alice@{domain}/phone' type='chat' id='after'><body>new avatar</body></message>");
            await phone.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "after", TestCluster.Wait);
            await phone.SendAsync("<presence><show>away</show></presence>");

            var presence = await bob.WaitForAsync(
                e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{domain}/phone" && e.ChildText("show", "jabber:client") == "away", TestCluster.Wait);
            presence.Child("x", Update)!.ChildText("photo", Update).Should().Be(hash);
        });
    }
}
