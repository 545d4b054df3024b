using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>vCard-temp (XEP-0054) storage and retrieval, over real sockets.</summary>
public sealed class VCardTests
{
    private const string Get = "<vCard xmlns='vcard-temp'/>";

    private const string AliceCard =
        "<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN><NICKNAME>ali &amp; ce</NICKNAME>" +
        "<N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN></N><DESC xml:lang='en'>Curiouser</DESC>" +
        "<X-EXT xmlns='urn:example:ext' level='2'>extension</X-EXT></vCard>";

    [Fact]
    public async Task VCard_SetThenGetFromAnotherUser_SameVCard()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        (await alice.SetAsync(null, AliceCard)).ShouldBeResult().Should().BeNull();
        var card = (await bob.GetAsync(server.Bare("alice"), Get)).ShouldBeResult()!;

        card.ToString().Should().Be(AliceCard);
        card.ChildText("NICKNAME", "vcard-temp").Should().Be("ali & ce");
        card.Child("X-EXT", "urn:example:ext")!.GetAttribute("level").Should().Be("2");
        // Bob's own vCard is untouched: the set went to alice's account only.
        (await bob.GetAsync(null, Get)).ShouldBeResult()!.HasNodes.Should().BeFalse();
    }

    [Fact]
    public async Task VCard_SetAgain_ReplacesAndEmptySetClears()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SetAsync(null, AliceCard);
        (await alice.SetAsync(server.Bare("alice"), "<vCard xmlns='vcard-temp'><FN>Second</FN></vCard>")).ShouldBeResult();
        var second = (await alice.GetAsync(null, Get)).ShouldBeResult()!;
        (await alice.SetAsync(null, "<vCard xmlns='vcard-temp'/>")).ShouldBeResult();
        var cleared = (await alice.GetAsync(null, Get)).ShouldBeResult()!;

        second.ToString().Should().Be("<vCard xmlns='vcard-temp'><FN>Second</FN></vCard>");
        cleared.ToString().Should().Be("<vCard xmlns='vcard-temp'/>");
    }

    [Fact]
    public async Task VCard_NoneStored_OwnReadsEmpty()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var card = (await alice.GetAsync(null, Get)).ShouldBeResult()!;

        card.Name.Should().Be("vCard");
        card.Namespace.Should().Be("vcard-temp");
        card.HasNodes.Should().BeFalse();
    }

    [Fact]
    public async Task VCard_NoneStored_AnotherUserGetsTheErrorOfAMissingAccount()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");

        var none = await bob.GetAsync(server.Bare("alice"), Get);
        var missing = await bob.GetAsync(server.Bare("nobody"), Get);

        // XEP-0054 §3.3: an error in both cases, and the same one, so that vCards do not reveal which accounts exist.
        none.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        missing.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task VCard_SetOnAnotherUsersJid_ForbiddenAndNothingChanges()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("mallory");
        await using var alice = await server.LoginAsync("alice");
        await using var mallory = await server.LoginAsync("mallory");
        await alice.SetAsync(null, AliceCard);

        var reply = await mallory.SetAsync(server.Bare("alice"), "<vCard xmlns='vcard-temp'><FN>Owned</FN></vCard>");

        reply.ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.GetAsync(null, Get)).ShouldBeResult()!.ToString().Should().Be(AliceCard);
    }

    [Fact]
    public async Task VCard_LargerThanLimit_NotAcceptableAndNothingStored()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        await alice.SetAsync(null, "<vCard xmlns='vcard-temp'><FN>Kept</FN></vCard>");
        // Just over the 64 KiB default, well under the 256 KiB stanza limit.
        var photo = new string('A', 64 * 1024);

        var reply = await alice.SetAsync(null, $"<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>{photo}</BINVAL></PHOTO></vCard>");

        reply.ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.GetAsync(null, Get)).ShouldBeResult()!.ChildText("FN", "vcard-temp").Should().Be("Kept");
        // Just under the limit is fine.
        var fits = new string('A', 60 * 1024);
        (await alice.SetAsync(null, $"<vCard xmlns='vcard-temp'><PHOTO><BINVAL>{fits}</BINVAL></PHOTO></vCard>")).ShouldBeResult();
    }

    [Fact]
    public async Task VCard_AccountThatDoesNotExist_ServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");

        var reply = await bob.GetAsync(server.Bare("nobody"), Get);

        reply.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task VCard_AccountDeletedAndRecreated_StartsWithoutVCard()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using (var alice = await server.LoginAsync("alice"))
        {
            await alice.SetAsync(null, AliceCard);
        }

        await server.Storage.Accounts.DeleteAsync(server.Domain, "alice");
        await server.CreateUserAsync("alice");
        await using var again = await server.LoginAsync("alice");

        // A re-created account must not inherit the deleted one's vCard.
        (await again.GetAsync(null, Get)).ShouldBeResult()!.HasNodes.Should().BeFalse();
    }
}
