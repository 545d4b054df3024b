using System.Reflection;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Components.Echo;

/// <summary>
/// The built-in test service (<c>--service echo</c>): answers disco#info (XEP-0030), software version (XEP-0092) and
/// ping (XEP-0199), and replies to every message with its body prefixed by the instance name, so that a test (or an
/// operator) sees which instance of a balanced domain handled which stanza.
/// </summary>
public sealed class EchoService : IComponentService
{
    /// <summary>The name of the service on the command line.</summary>
    public const string ServiceName = "echo";

    private const string DiscoInfo = "http://jabber.org/protocol/disco#info";
    private const string Version = "jabber:iq:version";
    private const string Ping = "urn:xmpp:ping";

    /// <inheritdoc />
    public ValueTask OnConnectedAsync(IComponentContext context, CancellationToken ct) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask HandleAsync(Element stanza, IComponentContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        ArgumentNullException.ThrowIfNull(context);
        return stanza.Name switch
        {
            "message" => OnMessageAsync(stanza, context, ct),
            "iq" => OnIqAsync(stanza, context, ct),
            // Presence needs no answer from a test service.
            _ => ValueTask.CompletedTask,
        };
    }

    /// <summary>The text an instance answers a message body with.</summary>
    public static string ReplyText(string instanceName, string body) => $"{instanceName}: {body}";

    private static ValueTask OnMessageAsync(Element message, IComponentContext context, CancellationToken ct)
    {
        if (message.GetAttribute("type") == "error" || message.ChildText("body", Ns.Client) is not { } body)
        {
            return ValueTask.CompletedTask;
        }

        var reply = new Element("message", Ns.Client)
            .SetAttribute("from", message.GetAttribute("to"))
            .SetAttribute("to", message.GetAttribute("from"))
            .SetAttribute("type", message.GetAttribute("type") ?? "normal")
            .SetAttribute("id", message.GetAttribute("id"));
        reply.AddChild("body").AddText(ReplyText(context.InstanceName, body));
        return context.SendAsync(reply, ct);
    }

    private static ValueTask OnIqAsync(Element iq, IComponentContext context, CancellationToken ct)
    {
        var type = iq.GetAttribute("type");
        if (type is not ("get" or "set"))
        {
            return ValueTask.CompletedTask;
        }

        var payload = iq.FirstElement();
        var result = new Element("iq", Ns.Client)
            .SetAttribute("type", "result")
            .SetAttribute("id", iq.GetAttribute("id"))
            .SetAttribute("from", iq.GetAttribute("to"))
            .SetAttribute("to", iq.GetAttribute("from"));
        switch (type, payload?.Name, payload?.Namespace)
        {
            case ("get", "query", DiscoInfo) when payload!.GetAttribute("node") is null:
                var info = result.AddChild("query", DiscoInfo);
                info.AddChild("identity").SetAttribute("category", "component").SetAttribute("type", "generic").SetAttribute("name", "Rookery echo");
                info.AddChild("feature").SetAttribute("var", DiscoInfo);
                info.AddChild("feature").SetAttribute("var", Version);
                info.AddChild("feature").SetAttribute("var", Ping);
                break;
            case ("get", "query", Version):
                var version = result.AddChild("query", Version);
                version.AddChild("name").AddText("Rookery echo");
                version.AddChild("version").AddText(ProductVersion);
                break;
            case ("get", "ping", Ping):
                break;
            default:
                // RFC 6120 §8.4: an iq nobody here understands gets service-unavailable.
                return context.SendAsync(StanzaErrors.BuildReply(iq, StanzaErrorCondition.ServiceUnavailable), ct);
        }

        return context.SendAsync(result, ct);
    }

    private static string ProductVersion =>
        typeof(EchoService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
