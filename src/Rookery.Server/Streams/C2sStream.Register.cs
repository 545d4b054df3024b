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
            throw new StreamErrorException(StreamErrorCondition.NotAuthorized, "Authenticate first");
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
}
