using Rookery.Protocol.Xml;

namespace Rookery.Server.Modules;

/// <summary>
/// Lists the service discovery items a module provides at a host's own JID (XEP-0030 §4, for example the MUC service of
/// XEP-0045 §6.1), as <c>&lt;item/&gt;</c> elements in the disco#items namespace; called once per request.
/// </summary>
public delegate IReadOnlyList<Element> HostItemsProvider(string host);
