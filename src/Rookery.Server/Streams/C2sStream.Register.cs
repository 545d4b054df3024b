using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Auth;

namespace Rookery.Server.Streams;

/// <content>In-band registration before authentication (XEP-0077 §3.1): the only iq a client may send that early.</content>
public sealed partial class C2sStream
{
    private const string RegisterNs = "jabber:iq:register";

    private bool RegistrationOffered =>
        _services.Modules.IsEnabled(RegisterModule.ModuleName, _domain!) && _services.Registration.IsOffered(_domain!, RemoteAddress);

    private async ValueTask OnPreAuthIqAsync(Element iq)
    {
        var query = iq.FirstElement();
        if (query is not { Name: "query", Namespace: RegisterNs } || iq.GetAttribute("id") is null)
        {
            RefusePreAuthIq(iq);
            return;
        }

        // Registration over a stream that still has to start TLS would send the password in the clear.
        if (!RegistrationOffered || (_host!.TlsRequired && !IsSecure))
        {
            SendElement(StanzaErrors.BuildReply(iq, StanzaErrorCondition.ServiceUnavailable));
            return;
        }

        switch (iq.GetAttribute("type"))
        {
            case "get":
                var form = new Element("query", RegisterNs);
                form.AddChild("instructions").AddText("Choose a user name and password for " + _domain);
                form.AddChild("username");
                form.AddChild("password");
                SendElement(Result(iq, form));
                return;

            case "set":
                var username = query.ChildText("username", RegisterNs);
                var password = query.ChildText("password", RegisterNs);
                if (username is null || password is null)
                {
                    SendElement(StanzaErrors.BuildReply(iq, StanzaErrorCondition.BadRequest, "username and password are required"));
                    return;
                }

                try
                {
                    await _services.Registration.RegisterAsync(_domain!, username, password, RemoteAddress, _closing.Token).ConfigureAwait(false);
                    Log.Registered(Logger, _connection.ConnectionId, username);
                    SendElement(Result(iq, null));
                }
                catch (StanzaErrorException e)
                {
                    SendElement(StanzaErrors.BuildReply(iq, e.Condition, e.Text));
                }

                return;

            default:
                SendElement(StanzaErrors.BuildReply(iq, StanzaErrorCondition.BadRequest));
                return;
        }
    }

    private static Element Result(Element request, Element? payload)
    {
        var result = new Element("iq", Ns.Client).SetAttribute("type", "result").SetAttribute("id", request.GetAttribute("id"));
        if (payload is not null)
        {
            result.Add(payload);
        }

        return result;
    }

    /// <summary>
    /// Any other iq before authentication. One for the server itself (no 'to', or our domain) gets a not-authorized
    /// stanza error and the stream stays open, as RFC 6120 §7.1 has it for stanzas to the server before binding (and
    /// Smack's SINT ResourceBindingIntegrationTest expects before authentication too); an answer is never answered.
    /// Anything addressed elsewhere closes the stream with not-authorized (§4.9.3.12).
    /// </summary>
    private void RefusePreAuthIq(Element iq)
    {
        var to = iq.GetAttribute("to");
        if (iq.GetAttribute("id") is null || (to is not null && !string.Equals(to, _domain, StringComparison.OrdinalIgnoreCase)))
        {
            throw new StreamErrorException(StreamErrorCondition.NotAuthorized, "Authenticate first");
        }

        if (iq.GetAttribute("type") is "get" or "set")
        {
            SendElement(StanzaErrors.BuildReply(iq, StanzaErrorCondition.NotAuthorized, "Authenticate first"));
        }
    }
}
