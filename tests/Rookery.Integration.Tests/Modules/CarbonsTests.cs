using Rookery.Integration.Tests.Im;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>
/// Message carbons (XEP-0280) over real sockets. Where a test asserts that a resource got no copy, it lets the same
/// sender send a message that is copied afterwards: a sender's stanzas are handled in order, so the next message the
/// resource reads must be that one, with no waiting for silence.
/// </summary>
public sealed class CarbonsTests
{
    private const string Carbons = "urn:xmpp:carbons:2";
    private const string Forward = "urn:xmpp:forward:0";
    private const string Enable = $"<enable xmlns='{Carbons}'/>";
    private const string Disable = $"<disable xmlns='{Carbons}'/>";

    [Fact]
    public async Task EnableAndDisable_OwnAccount_ResultFromBareJidEveryTime()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var replies = new[]
        {
            await alice.SetAsync(null, Enable),
            await alice.SetAsync(server.Bare("alice"), Enable), // §10.1: enabling twice is no error
            await alice.SetAsync(null, Disable),
            await alice.SetAsync(server.Bare("alice"), Disable),
        };

        foreach (var reply in replies)
        {
            reply.ShouldBeResult().Should().BeNull();
            reply.GetAttribute("from").Should().Be(server.Bare("alice"));
            reply.GetAttribute("to").Should().Be(alice.Jid!.ToString());
        }
    }

    [Fact]
    public async Task Enable_AnotherUsersAccount_NotAllowed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");

        var enable = await alice.SetAsync(server.Bare("bob"), Enable);
        var disable = await alice.SetAsync(server.Bare("bob"), Disable);

        enable.ShouldBeError(StanzaErrorCondition.NotAllowed);
        disable.ShouldBeError(StanzaErrorCondition.NotAllowed);
    }

    [Fact]
    public async Task Received_ChatToBareJid_HighestPriorityGetsOriginalOtherResourceGetsCarbon()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var high = await OnlineAsync(server, "alice", "high", 5, carbons: true);
        await using var low = await OnlineAsync(server, "alice", "low", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>hi</body></message>");

        var original = await NextMessageAsync(high);
        var carbon = await NextMessageAsync(low);
        var sent = $"<message to='{server.Bare("alice")}' type='chat' id='m1' from='{bob.Jid}'><body>hi</body>";
        original.ToString().Should().StartWith(sent);
        // The copy is the message exactly as delivered, with what the server added on the way (the archive's stanza-id).
        var forwarded = "<message xmlns='jabber:client' " + original.ToString()["<message ".Length..];
        carbon.ToString().Should().Be(
            $"<message from='{server.Bare("alice")}' to='{low.Jid}' type='chat'><received xmlns='{Carbons}'><forwarded xmlns='{Forward}'>" +
            forwarded + "</forwarded></received></message>");

        // The resource that got the original gets no copy: its next message is the copy of the next one.
        await bob.SendAsync($"<message to='{low.Jid}' type='chat' id='m2'><body>to low</body></message>");
        Forwarded(await NextMessageAsync(high), "received", server.Bare("alice"), high.Jid!.ToString()).GetAttribute("id").Should().Be("m2");
        (await NextMessageAsync(low)).GetAttribute("id").Should().Be("m2");
    }

    [Fact]
    public async Task Received_ChatToFullJidOfLowerPriorityResource_HigherPriorityResourceGetsCarbon()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var high = await OnlineAsync(server, "alice", "high", 5, carbons: true);
        await using var low = await OnlineAsync(server, "alice", "low", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");

        await bob.SendAsync($"<message to='{low.Jid}' type='chat' id='m1'><body>psst</body></message>");

        (await NextMessageAsync(low)).Child("received", Carbons).Should().BeNull();
        var forwarded = Forwarded(await NextMessageAsync(high), "received", server.Bare("alice"), high.Jid!.ToString());
        forwarded.GetAttribute("from").Should().Be(bob.Jid!.ToString());
        forwarded.GetAttribute("to").Should().Be(low.Jid!.ToString());
        forwarded.ChildText("body", Ns.Client).Should().Be("psst");
    }

    [Fact]
    public async Task Sent_ChatToContact_OtherResourceGetsSentCarbonAndSenderNone()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var phone = await OnlineAsync(server, "alice", "phone", 1, carbons: true);
        await using var desk = await OnlineAsync(server, "alice", "desk", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");

        await phone.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='s1'><body>hello bob</body></message>");

        (await NextMessageAsync(bob)).GetAttribute("id").Should().Be("s1");
        // The copies were made before the message was routed; one for the sender would have come before this answer.
        await phone.SyncAsync();
        phone.Skipped.Where(Match.AnyMessage).Should().BeEmpty();
        var carbon = await NextMessageAsync(desk);
        carbon.ToString().Should().Be(
            $"<message from='{server.Bare("alice")}' to='{desk.Jid}' type='chat'><sent xmlns='{Carbons}'><forwarded xmlns='{Forward}'>" +
            $"<message xmlns='jabber:client' to='{server.Bare("bob")}' type='chat' id='s1' from='{phone.Jid}'><body>hello bob</body></message>" +
            "</forwarded></sent></message>");

        // The control: phone does get copies, of messages its other resource sends.
        await desk.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='s2'><body>again</body></message>");
        Forwarded(await NextMessageAsync(phone), "sent", server.Bare("alice"), phone.Jid!.ToString()).GetAttribute("id").Should().Be("s2");
    }

    [Fact]
    public async Task Sent_SenderNeverEnabledCarbons_OtherResourcesStillGetCopy()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var legacy = await OnlineAsync(server, "alice", "legacy", 1, carbons: false);
        await using var desk = await OnlineAsync(server, "alice", "desk", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");

        await legacy.SendAsync($"<message to='{server.Bare("bob")}' id='n1'><body>normal with a body</body></message>");

        var forwarded = Forwarded(await NextMessageAsync(desk), "sent", server.Bare("alice"), desk.Jid!.ToString());
        forwarded.GetAttribute("id").Should().Be("n1");
        forwarded.GetAttribute("from").Should().Be(legacy.Jid!.ToString());
    }

    [Fact]
    public async Task Resources_DisabledNeverEnabledOrUnavailable_GetNothingWhileEnabledOneDoes()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var main = await OnlineAsync(server, "alice", "main", 5, carbons: false);
        await using var enabled = await OnlineAsync(server, "alice", "enabled", 1, carbons: true);
        await using var disabled = await OnlineAsync(server, "alice", "disabled", 1, carbons: true);
        await using var never = await OnlineAsync(server, "alice", "never", 1, carbons: false);
        await using var noPresence = await server.LoginAsync("alice", resource: "nopresence", sendPresence: false);
        (await disabled.SetAsync(null, Disable)).ShouldBeResult();
        (await noPresence.SetAsync(null, Enable)).ShouldBeResult();
        await using var bob = await server.LoginAsync("bob");

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='r1'><body>received</body></message>");
        await main.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='s1'><body>sent</body></message>");

        (await NextMessageAsync(main)).GetAttribute("id").Should().Be("r1");
        (await NextMessageAsync(bob)).GetAttribute("id").Should().Be("s1");
        // Two senders: the copies may arrive in either order.
        var copies = await enabled.ExpectAllAsync(e => IsCarbon(e, "received", "r1"), e => IsCarbon(e, "sent", "s1"));
        Forwarded(copies[0], "received", server.Bare("alice"), enabled.Jid!.ToString());
        Forwarded(copies[1], "sent", server.Bare("alice"), enabled.Jid!.ToString());
        foreach (var other in new[] { disabled, never, noPresence })
        {
            await other.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
        }
    }

    public static TheoryData<string, string> NotCopied => new()
    {
        // type, payload: messages XEP-0280 §6 (and §9, XEP-0334) leave to the resources they were addressed to
        { "chat", $"<body>secret</body><private xmlns='{Carbons}'/>" },
        { "chat", "<body>secret</body><no-copy xmlns='urn:xmpp:hints'/>" },
        { "normal", "<x xmlns='urn:example:payload'/>" },
        { "headline", "<body>news</body>" },
        { "chat", $"<received xmlns='{Carbons}'><forwarded xmlns='{Forward}'><message xmlns='jabber:client' type='chat'><body>forged</body></message></forwarded></received>" },
    };

    [Theory]
    [MemberData(nameof(NotCopied))]
    public async Task Received_MessageNotEligible_NoCarbon(string type, string payload)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var high = await OnlineAsync(server, "alice", "high", 5, carbons: true);
        await using var low = await OnlineAsync(server, "alice", "low", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='{type}' id='x1'>{payload}</message>");
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='x2'><body>copied</body></message>");

        var original = await NextMessageAsync(high);
        original.GetAttribute("id").Should().Be("x1");
        // §9: the receiving server removes <private/> before delivering.
        original.Child("private", Carbons).Should().BeNull();
        var next = await NextMessageAsync(low);
        if (type == "headline")
        {
            // RFC 6121 §8.5.2.1.1: a headline goes to every available resource, so this one has the original too.
            next.GetAttribute("id").Should().Be("x1");
            next.Child("received", Carbons).Should().BeNull();
            next = await NextMessageAsync(low);
        }

        Forwarded(next, "received", server.Bare("alice"), low.Jid!.ToString()).GetAttribute("id").Should().Be("x2");
    }

    [Theory]
    [MemberData(nameof(NotCopied))]
    public async Task Sent_MessageNotEligible_NoCarbon(string type, string payload)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var phone = await OnlineAsync(server, "alice", "phone", 1, carbons: true);
        await using var desk = await OnlineAsync(server, "alice", "desk", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");

        await phone.SendAsync($"<message to='{bob.Jid}' type='{type}' id='x1'>{payload}</message>");
        await phone.SendAsync($"<message to='{bob.Jid}' type='chat' id='x2'><body>copied</body></message>");

        Forwarded(await NextMessageAsync(desk), "sent", server.Bare("alice"), desk.Jid!.ToString()).GetAttribute("id").Should().Be("x2");
        var delivered = await NextMessageAsync(bob);
        delivered.GetAttribute("id").Should().Be("x1");
        delivered.Child("private", Carbons).Should().BeNull();
    }

    [Fact]
    public async Task SelfMessage_ToOwnFullJid_RecipientGetsOriginalOthersOneSentCarbonSenderNothing()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var phone = await OnlineAsync(server, "alice", "phone", 1, carbons: true);
        await using var desk = await OnlineAsync(server, "alice", "desk", 1, carbons: true);
        await using var tablet = await OnlineAsync(server, "alice", "tablet", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");

        await phone.SendAsync($"<message to='{desk.Jid}' type='chat' id='self'><body>note to self</body></message>");
        // Once phone's next request is answered, its note has been delivered and copied; a copy to phone would have come first.
        await phone.SyncAsync();
        phone.Skipped.Where(Match.AnyMessage).Should().BeEmpty();
        // The marker, from another sender: delivered to the tablet, copied as received to phone and desk.
        await bob.SendAsync($"<message to='{tablet.Jid}' type='chat' id='marker'><body>marker</body></message>");

        (await NextMessageAsync(desk)).GetAttribute("id").Should().Be("self");
        var copy = Forwarded(await NextMessageAsync(tablet), "sent", server.Bare("alice"), tablet.Jid!.ToString());
        copy.GetAttribute("id").Should().Be("self");
        copy.GetAttribute("from").Should().Be(phone.Jid!.ToString());
        (await NextMessageAsync(tablet)).GetAttribute("id").Should().Be("marker");
        // Neither the sender nor the recipient got a copy of the note: their next message is the marker's copy.
        Forwarded(await NextMessageAsync(phone), "received", server.Bare("alice"), phone.Jid!.ToString()).GetAttribute("id").Should().Be("marker");
        Forwarded(await NextMessageAsync(desk), "received", server.Bare("alice"), desk.Jid!.ToString()).GetAttribute("id").Should().Be("marker");
    }

    [Fact]
    public async Task Resumed_StreamManagementSession_KeepsCarbonsEnabled()
    {
        const string Sm = "urn:xmpp:sm:3";
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var main = await OnlineAsync(server, "alice", "main", 5, carbons: false);
        var mobile = await OnlineAsync(server, "alice", "mobile", 1, carbons: true);
        await using var bob = await server.LoginAsync("bob");
        await mobile.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        var id = (await mobile.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm)).GetAttribute("id")!;
        var mobileJid = mobile.Jid!;
        mobile.Abort();
        await WaitUntilDetachedAsync(server, mobileJid);

        await using var again = await server.ConnectAsync();
        await again.OpenStreamAsync();
        await again.StartTlsAsync();
        await again.AuthenticateScramAsync("alice", "secret");
        await again.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");
        await again.ExpectAsync("resumed", Sm);
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='r1'><body>after resumption</body></message>");

        (await NextMessageAsync(main)).GetAttribute("id").Should().Be("r1");
        Forwarded(await NextMessageAsync(again), "received", server.Bare("alice"), mobileJid.ToString()).GetAttribute("id").Should().Be("r1");
    }

    [Fact]
    public async Task ModuleDisabled_EnableServiceUnavailableAndNoCarbons()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules.Add("carbons"));
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var high = await OnlineAsync(server, "alice", "high", 5, carbons: false);
        await using var low = await OnlineAsync(server, "alice", "low", 1, carbons: false);
        await using var bob = await server.LoginAsync("bob");

        var reply = await low.SetAsync(null, Enable);
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>hi</body></message>");
        await high.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='s1'><body>hi bob</body></message>");

        reply.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        (await NextMessageAsync(high)).GetAttribute("id").Should().Be("m1");
        (await NextMessageAsync(bob)).GetAttribute("id").Should().Be("s1");
        await low.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    /// <summary>Logs a resource in, optionally enables carbons (before initial presence, as XEP-0280 advises), then sends presence with a priority.</summary>
    private static async Task<RawXmppClient> OnlineAsync(TestServer server, string user, string resource, int priority, bool carbons)
    {
        var client = await server.LoginAsync(user, resource: resource, sendPresence: false);
        if (carbons)
        {
            (await client.SetAsync(null, Enable)).ShouldBeResult();
        }

        await client.SendAsync($"<presence><priority>{priority}</priority></presence>");
        await client.WaitForAsync(Match.Presence(client.Jid!.ToString()));
        return client;
    }

    private static bool IsCarbon(Element e, string kind, string id) =>
        e.Name == "message" && e.Child(kind, Carbons)?.Child("forwarded", Forward)?.Child("message", Ns.Client)?.GetAttribute("id") == id;

    private static Task<Element> NextMessageAsync(RawXmppClient client) => client.WaitForAsync(Match.AnyMessage);

    /// <summary>Asserts that <paramref name="carbon"/> is a carbon of this kind for <paramref name="to"/> and returns the forwarded message.</summary>
    private static Element Forwarded(Element carbon, string kind, string account, string to)
    {
        carbon.GetAttribute("from").Should().Be(account, "a carbon comes from the account's bare JID: {0}", carbon);
        carbon.GetAttribute("to").Should().Be(to, "the carbon was {0}", carbon);
        var wrapper = carbon.Child(kind, Carbons);
        wrapper.Should().NotBeNull("expected a <{0}/> carbon, got {1}", kind, carbon);
        var message = wrapper!.Child("forwarded", Forward)?.Child("message", Ns.Client);
        message.Should().NotBeNull("the carbon was {0}", carbon);
        carbon.GetAttribute("type").Should().Be(message!.GetAttribute("type"), "a carbon keeps the original's type");
        return message;
    }

    private static async Task WaitUntilDetachedAsync(TestServer server, Protocol.Addressing.Jid jid)
    {
        var table = (SessionTable)server.Services.GetService(typeof(SessionTable))!;
        var deadline = DateTime.UtcNow + RawXmppClient.DefaultTimeout;
        while (table.Find(jid) is not ClientSession { IsDetached: true })
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{jid} was not detached in time");
            }

            // Polls a condition with a deadline (the connection loss is noticed asynchronously), as the SM tests do.
            await Task.Delay(20);
        }
    }
}
