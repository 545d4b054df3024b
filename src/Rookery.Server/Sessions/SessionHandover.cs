using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Sessions;

/// <summary>
/// The state of a stream-managed session that moves to another cluster node: everything the new node needs to answer
/// <c>&lt;resumed h=...&gt;</c>, re-send what the client has not acknowledged (in order), and carry on as the same
/// resource without its contacts noticing.
/// </summary>
public sealed class SessionHandover
{
    /// <summary>The session's full JID (it stays bound to the same resource).</summary>
    public required Jid Jid { get; init; }

    /// <summary>The resumption token, kept so that the client can resume again with the same id.</summary>
    public required string ResumptionId { get; init; }

    /// <summary>Stanzas handled from the client (XEP-0198 'h' the server reports).</summary>
    public uint Handled { get; init; }

    /// <summary>The client's last acknowledged count (XEP-0198 'h' the client reported).</summary>
    public uint Acked { get; init; }

    /// <summary>The priority of the last available presence.</summary>
    public int Priority { get; init; }

    /// <summary>The last presence broadcast, or null before initial presence.</summary>
    public Element? Presence { get; init; }

    /// <summary>True when the resource had requested the roster (RFC 6121 §2.1.6).</summary>
    public bool Interested { get; init; }

    /// <summary>True when the resource had enabled message carbons (XEP-0280).</summary>
    public bool CarbonsEnabled { get; init; }

    /// <summary>True when the resource had chosen flexible offline message retrieval (XEP-0013).</summary>
    public bool FlexibleOffline { get; init; }

    /// <summary>True when the client had said it is inactive (XEP-0352).</summary>
    public bool Inactive { get; init; }

    /// <summary>Entities that got directed presence and must get unavailable presence later (RFC 6121 §4.6.3).</summary>
    public IReadOnlyList<Jid> DirectedPresence { get; init; } = [];

    /// <summary>Every stanza the client has not acknowledged (then the ones CSI held back), in order.</summary>
    public IReadOnlyList<Element> Stanzas { get; init; } = [];

    /// <summary>The connection the session was still attached to on the old node, closed once handed over (not sent).</summary>
    public IStanzaConnection? PreviousConnection { get; init; }
}
