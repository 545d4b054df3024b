using Rookery.Protocol.Errors;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>
/// Every module can be turned off by name: its feature leaves disco#info and its requests get service-unavailable,
/// while with the module on the same request succeeds (so the test fails if the module never answered at all).
/// </summary>
public sealed class DisabledModuleTests
{
    public static TheoryData<string, string, string, string> Modules => new()
    {
        // module, its disco#info feature, where the request goes ("host" or "self": no 'to'), the request's payload
        { "ping", "urn:xmpp:ping", "host", "<ping xmlns='urn:xmpp:ping'/>" },
        { "version", "jabber:iq:version", "host", "<query xmlns='jabber:iq:version'/>" },
        { "time", "urn:xmpp:time", "host", "<time xmlns='urn:xmpp:time'/>" },
        { "last", "jabber:iq:last", "host", "<query xmlns='jabber:iq:last'/>" },
        { "vcard", "vcard-temp", "self", "<vCard xmlns='vcard-temp'/>" },
        { "private", "jabber:iq:private", "self", "<query xmlns='jabber:iq:private'><prefs xmlns='test:prefs'/></query>" },
        { "blocking", "urn:xmpp:blocking", "self", "<blocklist xmlns='urn:xmpp:blocking'/>" },
    };

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task Module_DisabledGlobally_FeatureGoneAndRequestServiceUnavailable(string module, string feature, string target, string payload)
    {
        await using var on = await TestServer.StartAsync();
        await using var off = await TestServer.StartAsync(o => o.DisabledModules.Add(module));
        var results = new List<(bool Answered, bool Advertised)>();
        foreach (var server in new[] { on, off })
        {
            await server.CreateUserAsync("alice");
            await using var alice = await server.LoginAsync("alice");
            var reply = await alice.GetAsync(target == "host" ? server.Domain : null, payload);
            var info = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
            var advertised = info.Elements().Any(e => e.Name == "feature" && e.GetAttribute("var") == feature);
            if (reply.GetAttribute("type") == "error")
            {
                reply.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
            }

            results.Add((reply.GetAttribute("type") == "result", advertised));
        }

        results[0].Should().Be((true, true), "with {0} enabled", module);
        results[1].Should().Be((false, false), "with {0} disabled", module);
    }

    [Fact]
    public async Task AdHoc_Disabled_FeatureAndCommandListGone_CommandServiceUnavailable()
    {
        const string Commands = "http://jabber.org/protocol/commands";
        var results = new List<(bool Advertised, int Listed, string? CommandReply)>();
        foreach (var disabled in new[] { false, true })
        {
            await using var server = await TestServer.StartAsync(o =>
            {
                o.Admins.Add("boss@localhost");
                if (disabled)
                {
                    o.DisabledModules.Add("adhoc");
                }
            });
            await server.CreateUserAsync("boss");
            await using var boss = await server.LoginAsync("boss");
            var info = (await boss.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
            var items = await boss.GetAsync(server.Domain, $"<query xmlns='http://jabber.org/protocol/disco#items' node='{Commands}'/>");
            var command = await boss.SetAsync(server.Domain, $"<command xmlns='{Commands}' node='http://jabber.org/protocol/admin#get-registered-users-num' action='execute'/>");
            if (disabled)
            {
                items.ShouldBeError(StanzaErrorCondition.ItemNotFound);
                command.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
            }

            results.Add((
                info.Elements().Any(e => e.Name == "feature" && e.GetAttribute("var") == Commands),
                items.GetAttribute("type") == "result" ? items.FirstElement()!.Elements().Count() : 0,
                command.FirstElement()?.GetAttribute("status")));
        }

        results[0].Should().Be((true, 22, "completed"), "with adhoc enabled");
        results[1].Advertised.Should().BeFalse("with adhoc disabled");
        results[1].Listed.Should().Be(0);
    }

    [Fact]
    public async Task Disco_Disabled_InfoAndItemsServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules.Add("disco"));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var info = await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
        var items = await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>");
        var ping = await alice.GetAsync(server.Domain, "<ping xmlns='urn:xmpp:ping'/>");

        info.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        items.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        ping.ShouldBeResult();
    }
}
