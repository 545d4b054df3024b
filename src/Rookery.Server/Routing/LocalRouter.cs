using Rookery.Protocol.Errors;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;

namespace Rookery.Server.Routing;

/// <summary>
/// The second routing module (seed 000): stanzas for one of our own domains. A JID with a local part goes to the
/// <see cref="SessionManager"/>; stanzas for the domain itself are handled by the server's modules.
/// </summary>
public sealed class LocalRouter(SessionManager sessionManager, ModuleRegistry modules, Router router) : IStanzaRoute
{
    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza)
    {
        if (stanza.To.Local is not null)
        {
            return sessionManager.RouteAsync(stanza);
        }

        return stanza.Name switch
        {
            "iq" => modules.DispatchIqAsync(stanza, IqTarget.Host, null, router, CancellationToken.None),
            // Nothing on the host consumes messages yet: say so rather than drop them.
            "message" => router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable),
            // Presence to the server (directed presence, probes of the domain) needs no answer.
            _ => ValueTask.CompletedTask,
        };
    }
}
