using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>The presence subscription handshake and its cancellation (RFC 6121 §3) between two local users.</summary>
public sealed class SubscriptionTests
{
    [Fact]
    public async Task Subscribe_ContactOnline_PushesAskAndDeliversRequest()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await alice.RosterGetAsync();
        await bob.RosterGetAsync();

        await alice.SendAsync($"<presence to='{server.Bare("bob")}' type='subscribe'/>");

        // §3.1.2: the user's roster shows the pending request; §3.1.3: the contact gets it from the user's bare JID.
        await alice.WaitForAsync(Match.RosterPush(server.Bare("bob"), "none", ask: "subscribe"));
        var request = await bob.WaitForAsync(Match.Presence(server.Bare("alice"), "subscribe"));
        request.GetAttribute("to").Should().Be(server.Bare("bob"));
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyRosterPush);
    }

    [Fact]
    public async Task Subscribed_PendingRequest_SetsToAndFromAndSendsPresence()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await alice.RosterGetAsync();
        await bob.RosterGetAsync();
        await alice.SendAsync($"<presence to='{server.Bare("bob")}' type='subscribe'/>");
        await bob.WaitForAsync(Match.Presence(server.Bare("alice"), "subscribe"));

        await bob.SendAsync($"<presence to='{server.Bare("alice")}' type='subscribed'/>");

        await bob.WaitForAsync(Match.RosterPush(server.Bare("alice"), "from"));
        await alice.ExpectAllAsync(
            Match.RosterPush(server.Bare("bob"), "to"),
            Match.Presence(server.Bare("bob"), "subscribed"),
            // §3.1.5: the contact's server sends the contact's current presence to the new subscriber.
            Match.Presence(bob.Jid!.ToString()));
    }

    [Fact]
    public async Task Subscribe_BothDirectionsApproved_EndsInBoth()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        var aliceBare = server.Bare("alice");
        var bobBare = server.Bare("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await alice.RosterGetAsync();
        await bob.RosterGetAsync();
        await alice.SendAsync($"<presence to='{bobBare}' type='subscribe'/>");
        await bob.WaitForAsync(Match.Presence(aliceBare, "subscribe"));
        await bob.SendAsync($"<presence to='{aliceBare}' type='subscribed'/>");
        await alice.ExpectAllAsync(Match.RosterPush(bobBare, "to"), Match.Presence(bob.Jid!.ToString()));
        await bob.WaitForAsync(Match.RosterPush(aliceBare, "from"));

        await bob.SendAsync($"<presence to='{aliceBare}' type='subscribe'/>");
        await bob.WaitForAsync(Match.RosterPush(aliceBare, "from", ask: "subscribe"));
        await alice.WaitForAsync(Match.Presence(bobBare, "subscribe"));
        await alice.SendAsync($"<presence to='{bobBare}' type='subscribed'/>");

        await alice.WaitForAsync(Match.RosterPush(bobBare, "both"));
        await bob.ExpectAllAsync(
            Match.RosterPush(aliceBare, "both"),
            Match.Presence(aliceBare, "subscribed"),
            Match.Presence(alice.Jid!.ToString()));
        var aliceItem = (await alice.RosterGetAsync(id: "get2")).Child("query", Ns.Roster)!.Elements().Should().ContainSingle().Subject;
        aliceItem.GetAttribute("subscription").Should().Be("both");
        aliceItem.GetAttribute("ask").Should().BeNull();
    }

    [Fact]
    public async Task Subscribe_ContactOffline_RequestDeliveredAtEachLoginUntilAnswered()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        var aliceBare = server.Bare("alice");
        await using var alice = await server.LoginAsync("alice");
        await alice.SendAsync($"<presence to='{server.Bare("bob")}' type='subscribe'/>");
        await alice.SyncAsync();

        // §3.1.3: the request is stored and delivered when the contact next sends initial presence.
        await using (var bob = await server.LoginAsync("bob"))
        {
            await bob.WaitForAsync(Match.Presence(aliceBare, "subscribe"));
        }

        // Unanswered, it comes again at the next login; once approved, never again.
        await using (var bob = await server.LoginAsync("bob"))
        {
            await bob.WaitForAsync(Match.Presence(aliceBare, "subscribe"));
            await bob.SendAsync($"<presence to='{aliceBare}' type='subscribed'/>");
            await alice.WaitForAsync(Match.Presence(server.Bare("bob"), "subscribed"));
        }

        await using var bobAgain = await server.LoginAsync("bob");
        await bobAgain.ExpectNothingAsync(ImTestExtensions.Quiet, Match.Presence(aliceBare, "subscribe"));
    }

    [Fact]
    public async Task Unsubscribe_FromBoth_UserGetsFromContactGetsToAndContactLooksOffline()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        var aliceBare = server.Bare("alice");
        var bobBare = server.Bare("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.WaitForAsync(Match.Presence(bob.Jid!.ToString()));
        await alice.RosterGetAsync();
        await bob.RosterGetAsync();

        await alice.SendAsync($"<presence to='{bobBare}' type='unsubscribe'/>");

        await alice.ExpectAllAsync(
            Match.RosterPush(bobBare, "from"),
            // §3.3.3: the contact's server sends unavailable presence from each of the contact's available resources.
            Match.Presence(bob.Jid!.ToString(), "unavailable"));
        await bob.ExpectAllAsync(Match.RosterPush(aliceBare, "to"), Match.Presence(aliceBare, "unsubscribe"));
    }

    [Fact]
    public async Task Unsubscribed_FromBoth_ContactGetsToUserGetsFromAndUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        var aliceBare = server.Bare("alice");
        var bobBare = server.Bare("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.WaitForAsync(Match.Presence(bob.Jid!.ToString()));
        await alice.RosterGetAsync();
        await bob.RosterGetAsync();

        // Bob cancels alice's subscription to him.
        await bob.SendAsync($"<presence to='{aliceBare}' type='unsubscribed'/>");

        await bob.WaitForAsync(Match.RosterPush(aliceBare, "to"));
        await alice.ExpectAllAsync(
            Match.RosterPush(bobBare, "from"),
            Match.Presence(bobBare, "unsubscribed"),
            // §3.2.2: alice no longer may see bob's presence, so she learns that he is unavailable.
            Match.Presence(bob.Jid!.ToString(), "unavailable"));

        // And bob's later presence changes no longer reach her.
        await bob.SendAsync("<presence><show>away</show></presence>");
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(bobBare));
    }

    [Fact]
    public async Task RosterRemove_MutualContact_CancelsBothDirections()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        var aliceBare = server.Bare("alice");
        var bobBare = server.Bare("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.WaitForAsync(Match.Presence(bob.Jid!.ToString()));
        await alice.RosterGetAsync();
        await bob.RosterGetAsync();

        await alice.SendRosterSetAsync("rm1", $"<item jid='{bobBare}' subscription='remove'/>");

        // RFC 6121 §2.5.2: the server sends unsubscribe and unsubscribed to the contact on the user's behalf.
        var atAlice = await alice.ExpectAllAsync(
            Match.IqReply("rm1"),
            Match.RosterPush(bobBare, "remove"),
            Match.Presence(bob.Jid!.ToString(), "unavailable"));
        atAlice[0].GetAttribute("type").Should().Be("result");
        await bob.ExpectAllAsync(
            Match.Presence(aliceBare, "unsubscribe"),
            Match.Presence(aliceBare, "unsubscribed"),
            Match.Presence(alice.Jid!.ToString(), "unavailable"),
            Match.RosterPush(aliceBare, "none"));
        var bobItem = (await bob.RosterGetAsync(id: "get2")).Child("query", Ns.Roster)!.Elements().Should().ContainSingle().Subject;
        bobItem.GetAttribute("subscription").Should().Be("none");
    }

    [Fact]
    public async Task Subscribe_NonexistentLocalUser_IsSilentlyIgnored()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SendAsync($"<presence to='{server.Bare("ghost")}' type='subscribe' id='s1'/>");

        // RFC 6121 §8.5.1: presence of any subscription type to an account that does not exist is silently ignored
        // (SINT RFC6121Section8_5_1_IntegrationTest.testLocalDomainNoSuchUserPresenceSubscribeTypeBareJid).
        await alice.ExpectNoneUntilSyncAsync(e => e.Name == "presence");
    }
}
