using System.Security.Cryptography;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Server.Streams;

/// <content>Resource binding (RFC 6120 §7) and the legacy session request.</content>
public sealed partial class C2sStream
{
    private async ValueTask OnBindOrSessionIqAsync(Element iq)
    {
        var type = iq.GetAttribute("type");
        var payload = iq.FirstElement();
        if (type == "set" && payload is { Name: "bind", Namespace: Ns.Bind })
        {
            await BindAsync(iq, payload).ConfigureAwait(false);
            return;
        }

        SendElement(StanzaErrors.BuildReply(iq, StanzaErrorCondition.NotAuthorized, "Bind a resource first"));
    }

    private async ValueTask BindAsync(Element iq, Element bind)
    {
        var requested = bind.ChildText("resource", Ns.Bind)?.Trim();
        Jid full;
        try
        {
            // RFC 6120 §7.6: the server generates a resource when the client does not propose one.
            full = _authenticated!.WithResource(string.IsNullOrEmpty(requested)
                ? "rookery-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))
                : requested);
        }
        catch (FormatException)
        {
            SendElement(StanzaErrors.BuildReply(iq, StanzaErrorCondition.BadRequest, "The resource is not valid"));
            return;
        }

        _session = new ClientSession(full, this, _services.Options.StreamManagement.MaxUnacked)
        {
            IsAnonymous = _anonymousAccount is not null,
            WhileDetached = _services.Lifecycle.WhileDetached,
        };
        _state = StreamState.Bound;
        var result = new Element("iq", Ns.Client).SetAttribute("type", "result").SetAttribute("id", iq.GetAttribute("id"));
        result.AddChild("bind", Ns.Bind).AddChild("jid", Ns.Bind).AddText(full.ToString());
        SendElement(result);
        // A session with the same full JID ends with <conflict/> (RFC 6120 §7.7.2.2, the newest one wins).
        await _services.Lifecycle.BindAsync(_session).ConfigureAwait(false);
        Log.Bound(Logger, _connection.ConnectionId, full);
    }
}
