using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Modules;

/// <summary>
/// Lists the service discovery items a module provides at an account's bare JID (XEP-0030 §4, for example the PEP nodes
/// of XEP-0163 §6.1) that <paramref name="requester"/> may see, as <c>&lt;item/&gt;</c> elements in the disco#items namespace.
/// </summary>
public delegate ValueTask<IReadOnlyList<Element>> AccountItemsProvider(Jid account, Jid requester, CancellationToken ct);
