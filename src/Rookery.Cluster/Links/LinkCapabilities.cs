namespace Rookery.Cluster.Links;

/// <summary>
/// Optional link features a node announces in the payload of its SYNC_BEGIN (an older node sends it empty and ignores
/// the payload), so that frames an older peer would not understand are never sent to it and the protocol version stays.
/// </summary>
[Flags]
internal enum LinkCapabilities
{
    /// <summary>Nothing optional.</summary>
    None = 0,

    /// <summary>Understands RESUME_REQUEST/STATE/REFUSED/ACK (stream management sessions move between nodes).</summary>
    SessionHandover = 1,

    /// <summary>
    /// Understands COMPONENT_UP/DOWN/STANZA (frames 60–62): external component instances are announced to it and stanzas
    /// for them forwarded; a peer without it never hears of this node's instances, nor is any routed through it.
    /// </summary>
    Components = 2,

    /// <summary>
    /// Understands MUC_STANZA (frame 70): stanzas for rooms it hosts are forwarded to it; a room held by a peer without it
    /// is answered as unreachable here instead.
    /// </summary>
    Muc = 4,

    /// <summary>Understands S2S_ROUTES/S2S_ROUTE_UP/S2S_ROUTE_DOWN/S2S_STANZA (replicated s2s routes, frames 80-83).</summary>
    S2sRoutes = 8,

    /// <summary>
    /// Treats an ACK as covering every earlier sequence number too, so this node may send only the last ACK of a burst
    /// (<see cref="NodeLink.CoalesceAcks"/>).
    /// </summary>
    CumulativeAck = 16,

    /// <summary>
    /// Understands ACCOUNT_CHANGE (frame 110): changes of cached per-account state (block lists) are announced to it; a
    /// peer without it sees such a change when its cached copy expires.
    /// </summary>
    AccountChanges = 64,

    /// <summary>
    /// Takes delayed ACKs: the receiver of its stanzas may send the ACK with its next frame, after a short delay, or once
    /// enough stanzas wait (<see cref="NodeLink.UseDelayedAcks"/>), instead of once per receive, which saves both nodes a
    /// write, a read and their wake-ups per forwarded burst (issue #4). Its SYNC_BEGIN then also carries how many stanzas
    /// it keeps unacknowledged at most. Implies <see cref="CumulativeAck"/>.
    /// </summary>
    DelayedAck = 128,

    /// <summary>What this build speaks.</summary>
    All = SessionHandover | Components | Muc | S2sRoutes | CumulativeAck | AccountChanges | DelayedAck,
}
