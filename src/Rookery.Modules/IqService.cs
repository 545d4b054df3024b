using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Server.Routing;

namespace Rookery.Modules;

/// <summary>
/// A service on a domain of its own that speaks only iq (HTTP upload, the SOCKS5 proxy, the publish-subscribe service):
/// an iq goes to <see cref="HandleIqAsync"/>; a message bounces with <c>service-unavailable</c>, as for any entity that
/// takes no messages (RFC 6120 §10.4.2; the router never bounces an error again); presence is ignored (RFC 6121 §8.5.1
/// for domain JIDs).
/// </summary>
public abstract class IqService
{
    /// <summary>Creates the service of <paramref name="domain"/>, answering through <paramref name="router"/>.</summary>
    protected IqService(Jid domain, Router router)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(router);
        Domain = domain;
        Router = router;
    }

    /// <summary>The service's domain JID.</summary>
    public Jid Domain { get; }

    /// <summary>Where answers and errors go.</summary>
    protected Router Router { get; }

    /// <summary>Handles one stanza addressed to the service; errors go back to the sender through the router.</summary>
    public async ValueTask HandleAsync(Stanza stanza)
    {
        switch (stanza.Name)
        {
            case "iq":
                await HandleIqAsync(stanza).ConfigureAwait(false);
                return;
            case "message":
                await Router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
                return;
            default:
                return;
        }
    }

    /// <summary>Handles one iq addressed to the service.</summary>
    protected abstract ValueTask HandleIqAsync(Stanza stanza);
}
