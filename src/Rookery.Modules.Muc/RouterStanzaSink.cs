using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;

namespace Rookery.Modules.Muc;

/// <summary>The in-process sink: a MUC service's stanzas enter the server's <see cref="Router"/> like any other.</summary>
public sealed class RouterStanzaSink(Router router) : IMucStanzaSink
{
    /// <inheritdoc />
    public ValueTask SendAsync(Element stanza, Jid sender, Jid recipient) => router.RouteAsync(stanza, sender, recipient);
}
