using Rookery.Protocol.Xml;

namespace Rookery.Modules.Carbons;

/// <summary>
/// Which messages are copied to a user's other resources (XEP-0280 §6, "Messages Eligible for Carbons Delivery"): the
/// ones used for instant messaging, unless the sender asked for no copies.
/// </summary>
internal static class CarbonRules
{
    /// <summary>XEP-0334 message processing hints.</summary>
    public const string HintsNamespace = "urn:xmpp:hints";

    /// <summary>XEP-0184 message delivery receipts.</summary>
    public const string ReceiptsNamespace = "urn:xmpp:receipts";

    /// <summary>XEP-0085 chat state notifications.</summary>
    public const string ChatStatesNamespace = "http://jabber.org/protocol/chatstates";

    /// <summary>XEP-0333 chat markers.</summary>
    public const string MarkersNamespace = "urn:xmpp:chat-markers:0";

    /// <summary>XEP-0249 direct MUC invitations.</summary>
    public const string DirectInvitationNamespace = "jabber:x:conference";

    /// <summary>XEP-0045 MUC user extension (mediated invitations, private messages from occupants).</summary>
    public const string MucUserNamespace = "http://jabber.org/protocol/muc#user";

    /// <summary>
    /// True when <paramref name="message"/> is copied: <paramref name="received"/> for a message delivered to the user
    /// (a <c>received</c> carbon), false for one the user sent (a <c>sent</c> carbon).
    /// </summary>
    public static bool IsEligible(Element message, bool received)
    {
        // RFC 6121 §5.2.2: no type, or a type the server does not know, means normal.
        var type = message.GetAttribute("type");
        if (type is "groupchat" or "error" or "headline")
        {
            // §6: groupchat is already replicated by the room to every joined client; headlines are not conversations;
            // an error would only be eligible as the answer to an eligible message, which needs tracking the server does
            // not do.
            return false;
        }

        var body = false;
        var imPayload = false;
        var mucUser = false;
        var invitation = false;
        // Indexed, not Elements(): this runs for every delivered message, and the iterator would be an allocation each.
        var nodes = message.Nodes;
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] is not Element child)
            {
                continue;
            }

            var ns = child.Namespace;
            if (ns == CarbonsModule.Namespace)
            {
                // §9: <private/> keeps the message off the other resources. A message that already is a carbon
                // (<sent/> or <received/>) is never copied again: a carbon of a carbon would only repeat it.
                if (child.Name is "private" or "sent" or "received")
                {
                    return false;
                }
            }
            else if (ns == HintsNamespace)
            {
                // XEP-0334 no-copy hint: asks that the message not be copied to other resources, for example by carbons.
                if (child.Name == "no-copy")
                {
                    return false;
                }
            }
            else if (ns == message.Namespace)
            {
                body |= child.Name == "body";
            }
            else if (ns is ReceiptsNamespace or ChatStatesNamespace or MarkersNamespace)
            {
                imPayload = true;
            }
            else if (ns == DirectInvitationNamespace)
            {
                invitation |= child.Name == "x";
            }
            else if (ns == MucUserNamespace && child.Name == "x")
            {
                mucUser = true;
                invitation |= child.Child("invite", MucUserNamespace) is not null;
            }
        }

        // §6, MUC rules: a private message from an occupant is already delivered by the room to every client joined with
        // that nick; one the user sends to an occupant is copied. Invitations are copied either way.
        if (received && mucUser && !invitation)
        {
            return false;
        }

        return type == "chat" || body || imPayload || invitation;
    }
}
