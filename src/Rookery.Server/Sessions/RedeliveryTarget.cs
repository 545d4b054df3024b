using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Sessions;

/// <summary>
/// Where a message goes that was sent to a resource which may never have seen it: left unacknowledged when its session
/// ended (XEP-0198 §4), or queued for a resource on a cluster node that died.
/// </summary>
public static class RedeliveryTarget
{
    /// <summary>
    /// XEP-0198 §4 has such stanzas handled like stanzas for an unavailable resource, by an error or offline storage.
    /// Chat and normal messages take the bare-JID rules (another resource, or offline storage), so that nothing is lost;
    /// addressed to the gone full JID, a normal message would bounce (RFC 6121 §8.5.3.2.1). Groupchat and headline keep
    /// the full JID, so they are bounced and dropped as for any resource that is not online.
    /// </summary>
    public static Jid For(Element message, Jid resource)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(resource);
        return message.GetAttribute("type") is null or "normal" or "chat" ? resource.Bare : resource;
    }
}
