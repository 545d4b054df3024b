using System.Security.Cryptography;
using Rookery.Integration.Tests.Modules;
using Rookery.Modules.AvatarConversion;
using Rookery.Modules.Disco;
using Rookery.Modules.Pep;
using Rookery.Modules.VCard;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pep.PepTestExtensions;

namespace Rookery.Integration.Tests.Pep;

/// <summary>
/// User avatar to vCard-based avatar conversion (XEP-0398) over real sockets: a PEP avatar (XEP-0084) shows in the vCard
/// and in presence (XEP-0153), a vCard photo is published and notified as a PEP avatar, and removal goes both ways.
/// </summary>
public sealed class AvatarConversionTests
{
    private const string Data = "urn:xmpp:avatar:data";
    private const string Metadata = "urn:xmpp:avatar:metadata";
    private const string Update = "vcard-temp:x:update";
    private const string GetVCard = "<vCard xmlns='vcard-temp'/>";

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    /// <summary>The start of a 48×32 PNG: what the server reads the size from, plus some bytes of image.</summary>
    private static readonly byte[] Png =
    [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R',
        0, 0, 0, 48, 0, 0, 0, 32, 8, 6, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0,
    ];

    private static readonly string PngHash = Convert.ToHexStringLower(SHA1.HashData(Png));

    [Fact]
    public async Task PepAvatar_Published_VCardHasThePhotoAndPresenceCarriesItsHash()
    {
        await using var server = await StartAsync();
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice", resource: "phone");

        await PublishAvatarAsync(alice, Png);
        var vcard = (await bob.GetAsync(server.Bare("alice"), GetVCard)).ShouldBeResult()!;
        // A client that claims another hash has it replaced by the one of the vCard's photo (XEP-0398 §4).
        await alice.SendAsync($"<presence><show>away</show><x xmlns='{Update}'><photo>0123456789abcdef0123456789abcdef01234567</photo></x></presence>");
        var presence = await bob.WaitForAsync(AwayFrom(alice));

        var photo = vcard.Child("PHOTO", VCardModule.Namespace)!;
        photo.ChildText("TYPE", VCardModule.Namespace).Should().Be("image/png");
        Convert.FromBase64String(photo.ChildText("BINVAL", VCardModule.Namespace)!).Should().Equal(Png);
        presence.Elements().Count(e => e.Name == "x" && e.Namespace == Update).Should().Be(1);
        presence.Child("x", Update)!.ChildText("photo", Update).Should().Be(PngHash);
    }

    [Fact]
    public async Task PepAvatar_PresenceWithoutUpdateOrWithEmptyPhoto_HashAddedExceptForEmptyPhoto()
    {
        await using var server = await StartAsync();
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice", resource: "phone");
        await PublishAvatarAsync(alice, Png);

        await alice.SendAsync("<presence><show>away</show></presence>");
        var added = await bob.WaitForAsync(AwayFrom(alice));
        // XEP-0398 §4: an empty photo says the client is not ready to advertise an avatar, and stays as it is.
        await alice.SendAsync($"<presence><show>xa</show><x xmlns='{Update}'><photo/></x></presence>");
        var untouched = await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == alice.Jid!.ToString() && e.ChildText("show", Ns.Client) == "xa");

        added.Child("x", Update)!.ChildText("photo", Update).Should().Be(PngHash);
        untouched.Child("x", Update)!.Child("photo", Update)!.HasNodes.Should().BeFalse();
    }

    [Fact]
    public async Task Disco_OwnAccount_AnnouncesConversion()
    {
        await using var server = await StartAsync();
        await using var alice = await server.LoginAsync("alice");

        var info = (await alice.GetAsync(server.Bare("alice"), $"<query xmlns='{DiscoModule.InfoNamespace}'/>")).ShouldBeResult()!;

        info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).Should().Contain(AvatarConversionModule.Feature);
    }

    [Fact]
    public async Task VCardPhoto_Set_PepDataAndMetadataPublishedAndContactNotified()
    {
        await using var server = await StartAsync();
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var bob = await server.LoginWithCapsAsync("bob", "laptop", Metadata + PepModule.NotifySuffix);
        await using var alice = await server.LoginAsync("alice", resource: "desk");

        (await alice.SetAsync(null, PhotoCard(Png, "<FN>Alice</FN>"))).ShouldBeResult();
        var notification = await bob.WaitForAsync(Event(server.Bare("alice"), Metadata));
        var data = (await bob.GetAsync(server.Bare("alice"), Items(Data))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        await alice.SendAsync("<presence><show>away</show></presence>");
        var presence = await bob.WaitForAsync(AwayFrom(alice));

        var item = notification.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!.Child("item", PepModule.EventNamespace)!;
        item.GetAttribute("id").Should().Be(PngHash);
        item.Child("metadata", Metadata)!.ToString().Should().Be(
            $"<metadata xmlns='{Metadata}'><info bytes='{Png.Length}' id='{PngHash}' type='image/png' width='48' height='32'/></metadata>");
        ItemIds(data).Should().Equal(PngHash);
        Convert.FromBase64String(data.Child("item", PepModule.Namespace)!.ChildText("data", Data)!).Should().Equal(Png);
        presence.Child("x", Update)!.ChildText("photo", Update).Should().Be(PngHash);
        // The vCard is stored as the client sent it: the conversion adds nothing to it.
        (await alice.GetAsync(null, GetVCard)).ShouldBeResult()!.ChildText("FN", VCardModule.Namespace).Should().Be("Alice");
    }

    [Fact]
    public async Task VCard_SameAvatarSetAgain_NotPublishedAgain()
    {
        await using var server = await StartAsync();
        await using var phone = await server.LoginWithCapsAsync("alice", "phone", Metadata + PepModule.NotifySuffix);
        await using var alice = await server.LoginAsync("alice", resource: "desk");
        (await alice.SetAsync(null, PhotoCard(Png, "<FN>Alice</FN>"))).ShouldBeResult();
        await phone.WaitForAsync(Event(server.Bare("alice"), Metadata));

        (await alice.SetAsync(null, PhotoCard(Png, "<FN>Alice L.</FN>"))).ShouldBeResult();

        // Only the name changed: the avatar is already published, and contacts are not told of it again.
        await phone.ExpectNothingAsync(Quiet, Event(server.Bare("alice"), Metadata));
    }

    [Fact]
    public async Task PepAvatar_EmptyMetadataPublished_PhotoRemovedFromVCardAndPresenceSaysNone()
    {
        await using var server = await StartAsync();
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice", resource: "phone");
        (await alice.SetAsync(null, PhotoCard(Png, "<FN>Alice</FN>"))).ShouldBeResult();

        // XEP-0084 §4.6: the avatar is disabled with metadata that holds no info.
        (await alice.SetAsync(null, Publish(Metadata, "current", $"<metadata xmlns='{Metadata}'/>"))).ShouldBeResult();
        var vcard = (await bob.GetAsync(server.Bare("alice"), GetVCard)).ShouldBeResult()!;
        await alice.SendAsync($"<presence><show>away</show><x xmlns='{Update}'><photo>{PngHash}</photo></x></presence>");
        var presence = await bob.WaitForAsync(AwayFrom(alice));

        vcard.Child("PHOTO", VCardModule.Namespace).Should().BeNull();
        vcard.ChildText("FN", VCardModule.Namespace).Should().Be("Alice", "the rest of the vCard stays");
        var photo = presence.Child("x", Update)!.Child("photo", Update)!;
        photo.HasNodes.Should().BeFalse("the client's stale hash is replaced by 'no avatar'");
    }

    [Fact]
    public async Task VCard_PhotoRemoved_EmptyMetadataPublishedAndNotified()
    {
        await using var server = await StartAsync();
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var alice = await server.LoginAsync("alice", resource: "phone");
        await PublishAvatarAsync(alice, Png);
        await using var bob = await server.LoginWithCapsAsync("bob", "laptop", Metadata + PepModule.NotifySuffix);
        // The last item, sent when bob's caps show interest (XEP-0163 §4.3.4).
        await bob.ReceivedAsync(Event(server.Bare("alice"), Metadata));

        (await alice.SetAsync(null, "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>")).ShouldBeResult();
        var notification = await bob.WaitForAsync(e => Event(server.Bare("alice"), Metadata)(e) && ItemOf(e).GetAttribute("id") == "current");
        var metadata = (await alice.GetAsync(null, Items(Metadata))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;

        ItemOf(notification).Child("metadata", Metadata)!.HasNodes.Should().BeFalse();
        metadata.Child("item", PepModule.Namespace)!.Child("metadata", Metadata)!.HasNodes.Should().BeFalse();
    }

    [Fact]
    public async Task VCard_PhotoNotBase64_VCardStoredAndPublishedAvatarKept()
    {
        await using var server = await StartAsync();
        await using var alice = await server.LoginAsync("alice");
        (await alice.SetAsync(null, PhotoCard(Png, "<FN>Alice</FN>"))).ShouldBeResult();
        const string card = "<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>this is not base64!</BINVAL></PHOTO></vCard>";

        (await alice.SetAsync(null, card)).ShouldBeResult();

        (await alice.GetAsync(null, GetVCard)).ShouldBeResult()!.ToString().Should().Be(card);
        // Nothing to publish, and no reason to take the avatar published before down.
        ItemIds((await alice.GetAsync(null, Items(Metadata))).ShouldBeResult()!.Child("items", PepModule.Namespace)!).Should().Equal(PngHash);
    }

    [Fact]
    public async Task VCard_PhotoLargerThanAPepItem_VCardStoredAndPublishedAvatarKept()
    {
        await using var server = await StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.Pep, nameof(PepOptions.MaxPayloadBytes), 1024));
        await using var alice = await server.LoginAsync("alice");
        (await alice.SetAsync(null, PhotoCard(Png, "<FN>Alice</FN>"))).ShouldBeResult();
        var large = Png.Concat(new byte[2048]).ToArray();

        (await alice.SetAsync(null, PhotoCard(large, "<FN>Alice</FN>"))).ShouldBeResult();

        var stored = (await alice.GetAsync(null, GetVCard)).ShouldBeResult()!;
        Convert.FromBase64String(stored.Child("PHOTO", VCardModule.Namespace)!.ChildText("BINVAL", VCardModule.Namespace)!).Should().Equal(large);
        ItemIds((await alice.GetAsync(null, Items(Data))).ShouldBeResult()!.Child("items", PepModule.Namespace)!).Should().Equal(PngHash);
        ItemIds((await alice.GetAsync(null, Items(Metadata))).ShouldBeResult()!.Child("items", PepModule.Namespace)!).Should().Equal(PngHash);
    }

    [Fact]
    public async Task PepAvatar_DataDoesNotMatchTheHash_VCardKeepsThePreviousPhoto()
    {
        await using var server = await StartAsync();
        await using var alice = await server.LoginAsync("alice");
        await PublishAvatarAsync(alice, Png);

        var wrongId = new string('0', 40);
        (await alice.SetAsync(null, Publish(Data, wrongId, $"<data xmlns='{Data}'>{Convert.ToBase64String([1, 2, 3])}</data>"))).ShouldBeResult();
        (await alice.SetAsync(null, Publish(Metadata, wrongId, Info(wrongId, 3)))).ShouldBeResult();

        // XEP-0398 §3.1: the service verifies the hash; an image that is not what the metadata says is not converted.
        var photo = (await alice.GetAsync(null, GetVCard)).ShouldBeResult()!.Child("PHOTO", VCardModule.Namespace)!;
        Convert.FromBase64String(photo.ChildText("BINVAL", VCardModule.Namespace)!).Should().Equal(Png);
    }

    [Fact]
    public async Task ConversionDisabled_NeitherConvertedNorAnnounced()
    {
        await using var server = await StartAsync(o => o.DisabledModules.Add(AvatarConversionModule.ModuleName));
        await using var alice = await server.LoginAsync("alice");

        await PublishAvatarAsync(alice, Png);

        (await alice.GetAsync(null, GetVCard)).ShouldBeResult()!.HasNodes.Should().BeFalse();
        var info = (await alice.GetAsync(server.Bare("alice"), $"<query xmlns='{DiscoModule.InfoNamespace}'/>")).ShouldBeResult()!;
        info.Elements().Select(e => e.GetAttribute("var")).Should().NotContain(AvatarConversionModule.Feature);
    }

    /// <summary>Publishes an image as XEP-0084 §4.1 and §4.2 say: the data first, then the metadata that announces it.</summary>
    private static async Task PublishAvatarAsync(RawXmppClient client, byte[] image)
    {
        var hash = Convert.ToHexStringLower(SHA1.HashData(image));
        (await client.SetAsync(null, Publish(Data, hash, $"<data xmlns='{Data}'>{Convert.ToBase64String(image)}</data>"))).ShouldBeResult();
        (await client.SetAsync(null, Publish(Metadata, hash, Info(hash, image.Length)))).ShouldBeResult();
    }

    private static string Info(string id, int bytes) =>
        $"<metadata xmlns='{Metadata}'><info id='{id}' bytes='{bytes}' type='image/png' width='48' height='32'/>" +
        $"<info id='{id}' bytes='{bytes}' type='image/png' url='https://example.org/avatar.png'/></metadata>";

    private static string PhotoCard(byte[] image, string rest) =>
        $"<vCard xmlns='vcard-temp'>{rest}<PHOTO><TYPE>image/png</TYPE><BINVAL>{Convert.ToBase64String(image)}</BINVAL></PHOTO></vCard>";

    private static Func<Element, bool> AwayFrom(RawXmppClient client) => e =>
        e.Name == "presence" && e.GetAttribute("from") == client.Jid!.ToString() && e.ChildText("show", Ns.Client) == "away";

    private static Element ItemOf(Element notification) =>
        notification.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!.Child("item", PepModule.EventNamespace)!;

    private static async Task<TestServer> StartAsync(Action<Rookery.Hosting.RookeryOptions>? configure = null)
    {
        var server = await TestServer.StartAsync(configure);
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        return server;
    }
}
