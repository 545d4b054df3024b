using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>Steps the module tests share: iq round trips, reading results and errors, seeding rosters.</summary>
internal static class ModuleTestExtensions
{
    /// <summary>Sends an iq get (to <paramref name="to"/>, or with no 'to' when null) and returns the reply.</summary>
    public static Task<Element> GetAsync(this RawXmppClient client, string? to, string payloadXml) => client.SendIqAsync("get", to, payloadXml);

    /// <summary>Sends an iq set (to <paramref name="to"/>, or with no 'to' when null) and returns the reply.</summary>
    public static Task<Element> SetAsync(this RawXmppClient client, string? to, string payloadXml) => client.SendIqAsync("set", to, payloadXml);

    /// <summary>Asserts that the reply is a result and returns its payload (null for an empty result).</summary>
    public static Element? ShouldBeResult(this Element reply)
    {
        reply.GetAttribute("type").Should().Be("result", "the reply was {0}", reply);
        return reply.FirstElement();
    }

    /// <summary>Asserts that the reply is an error with this condition (its wire name, for readable failures).</summary>
    public static void ShouldBeError(this Element reply, StanzaErrorCondition condition)
    {
        reply.GetAttribute("type").Should().Be("error", "the reply was {0}", reply);
        StanzaErrors.ConditionOf(reply)?.ToWireName().Should().Be(condition.ToWireName(), "the reply was {0}", reply);
        StanzaErrors.ConditionOf(reply).Should().Be(condition);
    }

    /// <summary>The bare JID of a user on the server's first domain.</summary>
    public static string Bare(this TestServer server, string user) => $"{user}@{server.Domain}";

    /// <summary>Writes one roster item straight into storage: <paramref name="owner"/>'s view of <paramref name="contact"/>.</summary>
    public static Task SeedRosterItemAsync(this TestServer server, string owner, string contact, Subscription subscription) =>
        server.Storage.Rosters.SetItemAsync(server.Bare(owner), new RosterItem(server.Bare(contact), null, subscription, false, []));

    /// <summary>
    /// Sets an init-only option on an options object that is already built (the test server hands the options to
    /// <c>configure</c> after construction, and options are bound once from configuration in production).
    /// </summary>
    public static void SetInit(object target, string property, object value) =>
        target.GetType().GetProperty(property)!.SetValue(target, value);

    private static Task<Element> SendIqAsync(this RawXmppClient client, string type, string? to, string payloadXml)
    {
        var id = "iq-" + Guid.NewGuid().ToString("N");
        var toAttr = to is null ? string.Empty : $" to='{to}'";
        return client.IqAsync($"<iq type='{type}' id='{id}'{toAttr}>{payloadXml}</iq>", id);
    }
}
