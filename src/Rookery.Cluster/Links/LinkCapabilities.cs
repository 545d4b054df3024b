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

    /// <summary>Understands S2S_ROUTES/S2S_ROUTE_UP/S2S_ROUTE_DOWN/S2S_STANZA (replicated s2s routes, frames 80-83).</summary>
    S2sRoutes = 2,

    /// <summary>What this build speaks.</summary>
    All = SessionHandover | S2sRoutes,
}
