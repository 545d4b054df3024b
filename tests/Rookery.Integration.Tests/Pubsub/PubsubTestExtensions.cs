using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Pubsub;

/// <summary>Requests and checks the publish-subscribe service tests share.</summary>
internal static class PubsubTestExtensions
{
    public const string Ns = PubsubService.Namespace;
    public const string OwnerNs = PubsubService.OwnerNamespace;
    public const string EventNs = PubsubService.EventNamespace;
    public const string Entry = "<entry xmlns='http://www.w3.org/2005/Atom'><title>Hello</title></entry>";

    /// <summary>The host's service JID.</summary>
    public static string Service(this TestServer server) => "pubsub." + server.Domain;

    /// <summary>A data form of <paramref name="formType"/> with one value per field.</summary>
    public static string Form(string formType, params (string Var, string Value)[] fields)
    {
        var xml = $"<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>{formType}</value></field>";
        foreach (var (name, value) in fields)
        {
            xml += $"<field var='{name}'><value>{value}</value></field>";
        }

        return xml + "</x>";
    }

    /// <summary>Creates a node (instant when <paramref name="node"/> is null), configured with the fields when any.</summary>
    public static Task<Element> CreateAsync(this RawXmppClient client, TestServer server, string? node, params (string Var, string Value)[] config)
    {
        var name = node is null ? string.Empty : $" node='{node}'";
        var configure = config.Length == 0 ? "<configure/>" : $"<configure>{Form(NodeConfiguration.FormType, config)}</configure>";
        return client.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><create{name}/>{configure}</pubsub>");
    }

    /// <summary>Publishes one item (id chosen by the service when null), with publish options when any.</summary>
    public static Task<Element> PublishAsync(this RawXmppClient client, TestServer server, string node, string? id, string payload = Entry, params (string Var, string Value)[] options)
    {
        var idAttr = id is null ? string.Empty : $" id='{id}'";
        var publishOptions = options.Length == 0 ? string.Empty : $"<publish-options>{Form(NodeConfiguration.PublishOptionsFormType, options)}</publish-options>";
        return client.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish node='{node}'><item{idAttr}>{payload}</item></publish>{publishOptions}</pubsub>");
    }

    /// <summary>Subscribes <paramref name="jid"/> (the client's own full JID when null).</summary>
    public static Task<Element> SubscribeAsync(this RawXmppClient client, TestServer server, string node, string? jid = null) =>
        client.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscribe node='{node}' jid='{jid ?? client.Jid!.ToString()}'/></pubsub>");

    /// <summary>Sends an owner request (pubsub#owner namespace).</summary>
    public static Task<Element> OwnerAsync(this RawXmppClient client, TestServer server, string type, string actionXml) => type == "set"
        ? client.SetAsync(server.Service(), $"<pubsub xmlns='{OwnerNs}'>{actionXml}</pubsub>")
        : client.GetAsync(server.Service(), $"<pubsub xmlns='{OwnerNs}'>{actionXml}</pubsub>");

    /// <summary>Retrieves a node's items (with extra attributes or children).</summary>
    public static Task<Element> ItemsAsync(this RawXmppClient client, TestServer server, string node, string attributes = "", string children = "") =>
        client.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><items node='{node}'{attributes}>{children}</items></pubsub>");

    /// <summary>The ids of the items in an items result.</summary>
    public static IEnumerable<string?> ItemIds(this Element reply) =>
        reply.ShouldBeResult()!.Child("items", Ns)!.Elements().Select(i => i.GetAttribute("id"));

    /// <summary>Asserts an error with a stanza condition and the pubsub application condition (pubsub#errors).</summary>
    public static Element ShouldBePubsubError(this Element reply, StanzaErrorCondition condition, string? applicationCondition, string? unsupportedFeature = null)
    {
        reply.ShouldBeError(condition);
        var error = reply.Child("error", "jabber:client")!;
        if (applicationCondition is not null)
        {
            var app = error.Child(applicationCondition, PubsubErrors.Namespace);
            app.Should().NotBeNull("the error was {0}", error);
            if (unsupportedFeature is not null)
            {
                app!.GetAttribute("feature").Should().Be(unsupportedFeature);
            }
        }

        return error;
    }

    /// <summary>Matches an event notification from the service about <paramref name="node"/> with a child named <paramref name="kind"/>.</summary>
    public static Func<Element, bool> Event(TestServer server, string node, string kind = "items") => e =>
        e.Name == "message" && e.GetAttribute("from") == server.Service() &&
        e.Child("event", EventNs)?.Child(kind, EventNs)?.GetAttribute("node") == node;

    /// <summary>The first child of a notification's event (items, delete, purge, configuration).</summary>
    public static Element EventChild(this Element message, string kind) => message.Child("event", EventNs)!.Child(kind, EventNs)!;
}
