using Rookery.Protocol.Xml;

namespace Rookery.Server.Modules;

/// <summary>
/// Builds a stream feature element for a host when it carries data (attributes or children) rather than a fixed name,
/// for example the server's own entity capabilities (XEP-0115 §6.3); null offers nothing on that host. Called for every
/// post-authentication feature list, so it should return a cached element.
/// </summary>
public delegate Element? StreamFeatureProvider(string domain);
