using Rookery.Protocol.Xml;

namespace Rookery.Server.Modules;

/// <summary>
/// Answers a service discovery request for one node of the host (XEP-0030 §3.2, §4.2): fills <paramref name="query"/>,
/// whose namespace says whether identities and features (disco#info) or items (disco#items) are asked for. A requester
/// who may not see the node gets a stanza error thrown as <c>StanzaErrorException</c>.
/// </summary>
/// <param name="iq">The disco request.</param>
/// <param name="query">The answer's <c>&lt;query/&gt;</c>, with the node attribute already set.</param>
public delegate ValueTask DiscoNodeHandler(IqContext iq, Element query);
