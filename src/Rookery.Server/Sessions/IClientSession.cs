using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Sessions;

/// <summary>
/// A bound client resource as the session manager sees it: where to deliver, and the presence state that decides
/// whether it gets a stanza addressed to the bare JID. Implemented by the local client stream; the cluster adds a
/// remote implementation that forwards to the owning node.
/// </summary>
public interface IClientSession
{
    /// <summary>The session's full JID.</summary>
    Jid Jid { get; }

    /// <summary>The priority of the last available presence (RFC 6121 §4.7.2.3); 0 until one is sent.</summary>
    int Priority { get; }

    /// <summary>True after initial presence and until unavailable presence (an "available resource", RFC 6121 §4.1).</summary>
    bool IsAvailable { get; }

    /// <summary>The last presence broadcast by the resource, stamped with its full JID; null before initial presence.</summary>
    Element? Presence { get; }

    /// <summary>True once the resource has requested the roster (an "interested resource", RFC 6121 §2.1.6).</summary>
    bool IsInterested { get; }

    /// <summary>True when the resource enabled message carbons (XEP-0280); replicated across cluster nodes.</summary>
    bool CarbonsEnabled { get; }

    /// <summary>
    /// True once the resource used flexible offline message retrieval (XEP-0013 §2.2): its account's offline messages
    /// are then not flooded at initial presence, neither to it nor to another resource; replicated across cluster nodes.
    /// </summary>
    bool FlexibleOffline { get; }

    /// <summary>Queues a stanza for delivery; returns false when the session is closing and nothing was queued.</summary>
    bool Send(Element stanza);

    /// <summary>Ends the session with a stream error, for example <c>conflict</c> when a newer session takes the JID.</summary>
    void Close(StreamErrorCondition condition, string? text = null);
}
