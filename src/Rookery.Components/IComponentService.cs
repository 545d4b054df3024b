using Rookery.Protocol.Xml;

namespace Rookery.Components;

/// <summary>
/// A service that runs behind a component connection (the echo test service now; MUC, upload and pubsub later): it
/// gets every stanza addressed to the component domain, in order, and answers through the context.
/// </summary>
public interface IComponentService
{
    /// <summary>Called after each successful handshake (first connection and every failover).</summary>
    ValueTask OnConnectedAsync(IComponentContext context, CancellationToken ct);

    /// <summary>Handles one stanza (in the <c>jabber:client</c> namespace, like every stanza inside Rookery).</summary>
    ValueTask HandleAsync(Element stanza, IComponentContext context, CancellationToken ct);
}
