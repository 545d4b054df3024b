using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;

namespace Rookery.Modules;

/// <summary>
/// A service on a domain of its own that speaks only iq (HTTP upload, the SOCKS5 proxy, the publish-subscribe service):
/// a get or set with a payload, addressed to the domain itself, goes to <see cref="HandleIqAsync"/>, any other get or set
/// bounces with <c>service-unavailable</c>, and results and errors need no answer; a message goes to
/// <see cref="HandleMessageAsync"/>, which by default bounces it with <c>service-unavailable</c>, as for any entity that
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
            case "iq" when stanza.Type is "get" or "set":
                if (stanza.To.Local is not null || stanza.To.Resource is not null || stanza.Element.FirstElement() is not { } payload)
                {
                    await Router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
                    return;
                }

                await HandleIqAsync(stanza, payload).ConfigureAwait(false);
                return;
            case "message":
                await HandleMessageAsync(stanza).ConfigureAwait(false);
                return;
            default:
                return;
        }
    }

    /// <summary>Handles one get or set addressed to the service, with its payload (the iq's first child).</summary>
    protected abstract ValueTask HandleIqAsync(Stanza stanza, Element payload);

    /// <summary>
    /// Handles one message addressed to the service (or to a JID at its domain). Services that take none keep this
    /// default, which bounces it with <c>service-unavailable</c> (RFC 6120 §10.4.2).
    /// </summary>
    protected virtual ValueTask HandleMessageAsync(Stanza stanza) => Router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable);
}
