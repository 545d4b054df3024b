using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>Presence broadcast, probes, unavailable presence and directed presence (RFC 6121 §4).</summary>
public sealed class PresenceTests
{
    [Fact]
    public async Task AvailablePresence_SubscribedContactsAndOwnResources_ReceiveIt()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        await server.SeedSubscriptionAsync("alice", "carol", Subscription.From);
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        await using var desk = await server.LoginAsync("alice", resource: "desk");
        await using var phone = await server.LoginAsync("alice", resource: "phone", sendPresence: false);

        await phone.SendAsync("<presence><show>chat</show><status>on the move</status></presence>");

        var from = phone.Jid!.ToString();
        foreach (var receiver in new[] { bob, carol, desk })
        {
            var p = await receiver.WaitForAsync(Match.Presence(from));
            p.ChildText("show", Ns.Client).Should().Be("chat");
            p.ChildText("status", Ns.Client).Should().Be("on the move");
            // §4.2.2: contacts are addressed by bare JID, the user's own resources by full JID.
            Jid.Parse(p.GetAttribute("to")!).Bare.Should().Be(receiver.Jid!.Bare);
        }
    }

    [Fact]
    public async Task InitialPresence_NewResource_ReceivesTheOtherAvailableResourcesPresence()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var desk = await server.LoginAsync("alice", resource: "desk", sendPresence: false);
        await desk.SendAsync("<presence><show>dnd</show><status>at work</status></presence>");
        await using var away = await server.LoginAsync("alice", resource: "idle", sendPresence: false);
        await using var phone = await server.LoginAsync("alice", resource: "phone", sendPresence: false);
        await desk.SyncAsync();

        await phone.SendAsync("<presence/>");

        // The account's other available resource is announced to the new one, from its full JID; one that is connected
        // but never sent presence is not available and stays unannounced.
        var p = await phone.WaitForAsync(Match.Presence(desk.Jid!.ToString()));
        p.ChildText("show", Ns.Client).Should().Be("dnd");
        p.GetAttribute("to").Should().Be(phone.Jid!.ToString());
        await phone.ExpectNothingAsync(ImTestExtensions.Quiet, Match.Presence(away.Jid!.ToString()));
    }

    [Fact]
    public async Task AvailablePresence_NoFromSubscription_IsNotBroadcast()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("dave");
        await server.CreateUserAsync("carol");
        // alice is subscribed to dave but dave not to her; carol is on nobody's roster; bob is the control.
        await server.SeedSubscriptionAsync("alice", "dave", Subscription.To);
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.From);
        await using var dave = await server.LoginAsync("dave");
        await using var carol = await server.LoginAsync("carol");
        await using var bob = await server.LoginAsync("bob");

        await using var alice = await server.LoginAsync("alice");

        await bob.WaitForAsync(Match.Presence(alice.Jid!.ToString()));
        await dave.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("alice")));
        await carol.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("alice")));
    }

    [Fact]
    public async Task InitialPresence_ContactAlreadyOnline_ProbeReturnsContactPresence()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob", sendPresence: false);
        await bob.SendAsync("<presence><show>dnd</show><status>meeting</status></presence>");
        await bob.WaitForAsync(Match.Presence(bob.Jid!.ToString()));

        await using var alice = await server.LoginAsync("alice");

        // §4.2.1: alice's server probes bob, bob's server answers with his current presence.
        var p = await alice.WaitForAsync(Match.Presence(bob.Jid!.ToString()));
        p.ChildText("show", Ns.Client).Should().Be("dnd");
        p.ChildText("status", Ns.Client).Should().Be("meeting");
    }

    [Fact]
    public async Task InitialPresence_OnlyFromSubscription_ContactPresenceNotRevealed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        // bob may see alice, but alice may not see bob.
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.From);
        await using var bob = await server.LoginAsync("bob");

        await using var alice = await server.LoginAsync("alice");

        await bob.WaitForAsync(Match.Presence(alice.Jid!.ToString()));
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("bob")));
    }

    [Fact]
    public async Task ConnectionAborted_AvailableResource_ContactsAndOwnResourcesGetUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var desk = await server.LoginAsync("alice", resource: "desk");
        var phone = await server.LoginAsync("alice", resource: "phone");
        var phoneJid = phone.Jid!.ToString();
        await bob.WaitForAsync(Match.Presence(phoneJid));

        phone.Abort();

        // RFC 6121 §4.5: a resource whose connection vanished is gone, and the server says so on its behalf.
        await bob.WaitForAsync(Match.Presence(phoneJid, "unavailable"));
        await desk.WaitForAsync(Match.Presence(phoneJid, "unavailable"));
    }

    [Fact]
    public async Task UnavailablePresence_Sent_ContactsAndOwnResourcesGetItAndStanzasStop()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var desk = await server.LoginAsync("alice", resource: "desk");
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        var phoneJid = phone.Jid!.ToString();
        await bob.WaitForAsync(Match.Presence(phoneJid));
        await phone.WaitForAsync(Match.Presence(bob.Jid!.ToString()));

        await phone.SendAsync("<presence type='unavailable'><status>gone</status></presence>");

        var p = await bob.WaitForAsync(Match.Presence(phoneJid, "unavailable"));
        p.ChildText("status", Ns.Client).Should().Be("gone");
        await desk.WaitForAsync(Match.Presence(phoneJid, "unavailable"));

        // An unavailable resource gets no more broadcasts from contacts (§4.5.2: it is no longer available).
        await bob.SendAsync("<presence><show>away</show></presence>");
        await desk.WaitForAsync(Match.Presence(bob.Jid!.ToString()));
        await phone.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("bob")));
    }

    [Fact]
    public async Task DirectedPresence_ToNonContact_IsDeliveredAndUnavailableFollowsOnDisconnect()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("carol");
        await using var carol = await server.LoginAsync("carol");
        var alice = await server.LoginAsync("alice");
        var aliceJid = alice.Jid!.ToString();

        await alice.SendAsync($"<presence to='{server.Bare("carol")}'><status>hello</status></presence>");

        var p = await carol.WaitForAsync(Match.Presence(aliceJid));
        p.ChildText("status", Ns.Client).Should().Be("hello");

        alice.Abort();

        // §4.6.3: an entity that got directed presence learns when the sender goes offline.
        await carol.WaitForAsync(Match.Presence(aliceJid, "unavailable"));
    }

    [Fact]
    public async Task DirectedPresence_ThenBroadcastUnavailable_TargetGetsUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("carol");
        await using var carol = await server.LoginAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        var aliceJid = alice.Jid!.ToString();
        await alice.SendAsync($"<presence to='{carol.Jid}'/>");
        await carol.WaitForAsync(Match.Presence(aliceJid));

        await alice.SendAsync("<presence type='unavailable'/>");

        await carol.WaitForAsync(Match.Presence(aliceJid, "unavailable"));
    }
}
