using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Sessions;

/// <summary>
/// A client session connected to this node: the state that only its own node changes (presence, roster interest,
/// directed presence), set while processing that client's own stanzas.
/// </summary>
public interface ILocalClientSession : IClientSession
{
    /// <summary>Records the presence the resource broadcast (null with priority 0 for unavailable).</summary>
    void SetPresence(Element? presence, int priority);

    /// <summary>Marks the session as an interested resource (it requested the roster).</summary>
    void MarkInterested();

    /// <summary>Records whether the resource wants message carbons (XEP-0280 §4, §5).</summary>
    void SetCarbonsEnabled(bool enabled);

    /// <summary>Records that the resource chose flexible offline message retrieval (XEP-0013 §2.2); it lasts for the session.</summary>
    void MarkFlexibleOffline();

    /// <summary>
    /// Entities that received directed available presence from this resource and must get unavailable presence when
    /// it goes offline (RFC 6121 §4.6.3). Accessed only from the session's own processing loop.
    /// </summary>
    HashSet<Jid> DirectedPresence { get; }
}
