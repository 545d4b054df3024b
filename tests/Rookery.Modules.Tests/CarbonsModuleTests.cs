using Rookery.Modules.Carbons;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests;

public sealed class CarbonsModuleTests
{
    private const string Carbons = CarbonsModule.Namespace;

    private readonly SessionTable _sessions = new();
    private readonly CarbonsModule _module;
    private readonly ModuleHarness _harness;

    public CarbonsModuleTests()
    {
        _module = new CarbonsModule(_sessions);
        _harness = ModuleHarness.For(_module);
    }

    public static TheoryData<string, bool, bool> Rules => new()
    {
        // message, copied when received, copied when sent (XEP-0280 §6)
        { "<message type='chat'><body>hi</body></message>", true, true },
        { "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>", true, true },
        { "<message><body>hi</body></message>", true, true },
        { "<message type='normal'><body>hi</body></message>", true, true },
        { "<message type='whatever'><body>hi</body></message>", true, true },
        { "<message><x xmlns='urn:example:payload'/></message>", false, false },
        { "<message><received xmlns='urn:xmpp:receipts' id='1'/></message>", true, true },
        { "<message><displayed xmlns='urn:xmpp:chat-markers:0' id='1'/></message>", true, true },
        { "<message><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", true, true },
        { "<message type='headline'><body>news</body></message>", false, false },
        { "<message type='groupchat'><body>room</body></message>", false, false },
        { "<message type='error'><body>hi</body><error type='cancel'/></message>", false, false },
        { $"<message type='chat'><body>hi</body><private xmlns='{Carbons}'/></message>", false, false },
        { "<message type='chat'><body>hi</body><no-copy xmlns='urn:xmpp:hints'/></message>", false, false },
        { "<message type='chat'><body>hi</body><no-store xmlns='urn:xmpp:hints'/></message>", true, true },
        { $"<message type='chat'><sent xmlns='{Carbons}'><forwarded xmlns='urn:xmpp:forward:0'/></sent></message>", false, false },
        { $"<message type='chat'><received xmlns='{Carbons}'><forwarded xmlns='urn:xmpp:forward:0'/></received></message>", false, false },
        // MUC: a private message from an occupant is not copied, one to an occupant is; invitations are both ways.
        { "<message type='chat'><body>pm</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>", false, true },
        { "<message><x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@b/c'/></x></message>", true, true },
        { "<message><x xmlns='jabber:x:conference' jid='room@muc.example'/></message>", true, true },
        // A body in another namespace is not the message's body.
        { "<message><body xmlns='urn:example:other'>hi</body></message>", false, false },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void IsEligible_FollowsXep0280Rules(string xml, bool whenReceived, bool whenSent)
    {
        var message = StoredStanza.Parse(xml);

        CarbonRules.IsEligible(message, received: true).Should().Be(whenReceived);
        CarbonRules.IsEligible(message, received: false).Should().Be(whenSent);
    }

    [Fact]
    public void Configure_FeatureHooksAndDeliveredHook()
    {
        _harness.Features.Should().Equal(Carbons);
        _harness.Hooks.Select(h => (h.Point, h.Priority)).Should().BeEquivalentTo(
            [(HookPoint.Outbound, CarbonsModule.HookPriority), (HookPoint.Inbound, CarbonsModule.HookPriority)]);
        _harness.DeliveredHooks.Should().ContainSingle();
    }

    [Theory]
    [InlineData("<enable xmlns='urn:xmpp:carbons:2'/>")]
    [InlineData("<disable xmlns='urn:xmpp:carbons:2'/>")]
    public async Task EnableOrDisable_NotFromALocalSession_NotAllowed(string payload)
    {
        var act = () => _harness.SetAsync("alice@example.org/r", "alice@example.org", payload);

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.NotAllowed);
    }

    [Fact]
    public async Task EnableOrDisable_Get_NotHandled()
    {
        var act = () => _harness.GetAsync("alice@example.org/r", "alice@example.org", "<enable xmlns='urn:xmpp:carbons:2'/>");

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public void SetEnabled_PerSessionObject_NotPerJid()
    {
        var first = Online("alice@example.org/phone", carbons: true);
        var sameJid = new FakeSession(first.Jid);

        CarbonsModule.IsEnabled(first).Should().BeTrue();
        CarbonsModule.IsEnabled(sameJid).Should().BeFalse();
        _module.SetEnabled(first, enabled: false);
        _module.SetEnabled(first, enabled: false);
        CarbonsModule.IsEnabled(first).Should().BeFalse();
    }

    [Fact]
    public void Delivered_ToOneResource_CopiedToEnabledAvailableOthersOnly()
    {
        var target = Online("alice@example.org/target", carbons: true);
        var enabled = Online("alice@example.org/enabled", carbons: true);
        var never = Online("alice@example.org/never", carbons: false);
        var away = Online("alice@example.org/away", carbons: true, available: false);
        var bob = Online("bob@example.org/desk", carbons: true);
        var message = Message("bob@example.org/desk", "alice@example.org", "<message type='chat' id='m1'><body>hi</body></message>");

        Deliver(message, target);

        enabled.Sent.Should().ContainSingle().Which.ToString().Should().Be(
            "<message from='alice@example.org' to='alice@example.org/enabled' type='chat'><received xmlns='urn:xmpp:carbons:2'>" +
            "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' type='chat' id='m1' from='bob@example.org/desk' to='alice@example.org'>" +
            "<body>hi</body></message></forwarded></received></message>");
        foreach (var other in new[] { target, never, away, bob })
        {
            other.Sent.Should().BeEmpty();
        }
    }

    [Fact]
    public void Delivered_NoType_CarbonHasNoTypeEither()
    {
        var target = Online("alice@example.org/target", carbons: false);
        var other = Online("alice@example.org/other", carbons: true);

        Deliver(Message("bob@example.org/desk", "alice@example.org/target", "<message><body>hi</body></message>"), target);

        other.Sent.Should().ContainSingle().Which.GetAttribute("type").Should().BeNull();
    }

    [Fact]
    public void Delivered_CopyIsIndependentOfTheOriginal()
    {
        var target = Online("alice@example.org/target", carbons: false);
        var other = Online("alice@example.org/other", carbons: true);
        var message = Message("bob@example.org/desk", "alice@example.org", "<message type='chat'><body>hi</body></message>");

        Deliver(message, target);
        message.Element.SetAttribute("type", "changed");
        message.Element.ClearNodes();

        var forwarded = other.Sent.Single().Child("received", Carbons)!.Child("forwarded", CarbonsModule.ForwardNamespace)!.Child("message", Ns.Client)!;
        forwarded.GetAttribute("type").Should().Be("chat");
        forwarded.ChildText("body", Ns.Client).Should().Be("hi");
    }

    [Fact]
    public async Task Outbound_CopiedAsSentToEnabledOthersButNotTheSender()
    {
        var sender = Online("alice@example.org/phone", carbons: true);
        var desk = Online("alice@example.org/desk", carbons: true);
        var message = Message("alice@example.org/phone", "bob@example.org", "<message type='chat' id='s1'><body>hi</body></message>");

        var result = await RunHookAsync(HookPoint.Outbound, message, sender);

        result.Should().Be(HookResult.Continue);
        sender.Sent.Should().BeEmpty();
        var carbon = desk.Sent.Should().ContainSingle().Subject;
        carbon.GetAttribute("from").Should().Be("alice@example.org");
        carbon.GetAttribute("to").Should().Be("alice@example.org/desk");
        carbon.Child("sent", Carbons)!.Child("forwarded", CarbonsModule.ForwardNamespace)!.Child("message", Ns.Client)!.GetAttribute("id").Should().Be("s1");
    }

    [Fact]
    public async Task Outbound_PresenceIqOrSelfMessage_NotCopiedWhenSent()
    {
        var sender = Online("alice@example.org/phone", carbons: true);
        var desk = Online("alice@example.org/desk", carbons: true);

        await RunHookAsync(HookPoint.Outbound, Message("alice@example.org/phone", "bob@example.org", "<presence/>"), sender);
        await RunHookAsync(HookPoint.Outbound, Message("alice@example.org/phone", "bob@example.org", "<iq type='get' id='1'><q xmlns='urn:x'/></iq>"), sender);
        // A message to the account itself is copied after delivery, when the resources that got it are known.
        await RunHookAsync(HookPoint.Outbound, Message("alice@example.org/phone", "alice@example.org/desk", "<message type='chat'><body>self</body></message>"), sender);

        desk.Sent.Should().BeEmpty();
    }

    [Fact]
    public void Delivered_SelfMessage_SentCopyToResourcesThatNeitherSentNorReceivedIt()
    {
        var phone = Online("alice@example.org/phone", carbons: true);
        var desk = Online("alice@example.org/desk", carbons: true);
        var tablet = Online("alice@example.org/tablet", carbons: true);

        Deliver(Message("alice@example.org/phone", "alice@example.org/desk", "<message type='chat' id='n'><body>note</body></message>"), desk);

        phone.Sent.Should().BeEmpty();
        desk.Sent.Should().BeEmpty();
        tablet.Sent.Should().ContainSingle().Which.Child("sent", Carbons).Should().NotBeNull();
    }

    [Fact]
    public async Task Inbound_Private_RemovedAndNotCopiedOnDelivery()
    {
        var target = Online("alice@example.org/target", carbons: true);
        var other = Online("alice@example.org/other", carbons: true);
        var message = Message("bob@example.org/desk", "alice@example.org", $"<message type='chat'><body>hi</body><private xmlns='{Carbons}'/></message>");

        var result = await RunHookAsync(HookPoint.Inbound, message, null);
        Deliver(message, target);

        result.Should().Be(HookResult.Continue);
        message.Element.Child("private", Carbons).Should().BeNull();
        message.Element.ChildText("body", Ns.Client).Should().Be("hi");
        other.Sent.Should().BeEmpty();
    }

    private FakeSession Online(string jid, bool carbons, bool available = true)
    {
        var session = new FakeSession(Jid.Parse(jid));
        if (available)
        {
            session.SetPresence(new Element("presence", Ns.Client), 0);
        }

        _sessions.Bind(session);
        _module.SetEnabled(session, carbons);
        return session;
    }

    private static Stanza Message(string from, string to, string xml)
    {
        var element = StoredStanza.Parse(xml).SetAttribute("from", from).SetAttribute("to", to);
        return new Stanza(element, Jid.Parse(from), Jid.Parse(to));
    }

    private void Deliver(Stanza message, params IClientSession[] deliveredTo)
    {
        foreach (var hook in _harness.DeliveredHooks)
        {
            hook(message, deliveredTo);
        }
    }

    private async Task<HookResult> RunHookAsync(HookPoint point, Stanza stanza, ILocalClientSession? session)
    {
        foreach (var (p, _, hook) in _harness.Hooks)
        {
            if (p == point && await hook(new StanzaHookContext(stanza, session, CancellationToken.None)) == HookResult.Handled)
            {
                return HookResult.Handled;
            }
        }

        return HookResult.Continue;
    }
}
