using Rookery.Server.Sessions;

namespace Rookery.Modules.Caps;

/// <summary>
/// Told that the features of an available resource are known: at its presence when its caps hash was verified before,
/// else once the disco#info answer verified it (XEP-0115 §6.2). PEP sends last published items from here.
/// </summary>
public delegate ValueTask CapsDiscoveredHandler(IClientSession session, IReadOnlySet<string> features, CancellationToken ct);
