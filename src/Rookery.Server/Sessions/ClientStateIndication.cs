using Rookery.Protocol.Xml;

namespace Rookery.Server.Sessions;

/// <summary>
/// Which stanzas may wait while a client is inactive (XEP-0352 leaves the policy to the server; this follows the
/// common one): presence availability updates and messages that only carry a chat state. Messages with content,
/// subscription requests, iq and errors are important and go out at once.
/// </summary>
public static class ClientStateIndication
{
    /// <summary>The XEP-0352 namespace.</summary>
    public const string Namespace = "urn:xmpp:csi:0";

    private const string ChatStates = "http://jabber.org/protocol/chatstates";

    /// <summary>True when <paramref name="stanza"/> can wait until the client is active again.</summary>
    public static bool CanWait(Element stanza)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        switch (stanza.Name)
        {
            case "presence":
                return stanza.GetAttribute("type") is null or "unavailable";
            case "message":
                var chatState = false;
                foreach (var child in stanza.Elements())
                {
                    if (child.Namespace == ChatStates)
                    {
                        chatState = true;
                    }
                    else if (child.Namespace != "urn:xmpp:hints" && child.Namespace != "urn:xmpp:sid:0")
                    {
                        return false; // a body, a subject, a receipt, an encrypted payload: the user wants it now
                    }
                }

                return chatState;
            default:
                return false;
        }
    }
}
