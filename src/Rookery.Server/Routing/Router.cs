using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Routing;

/// <summary>
/// The first of the four routing modules (seed 000): routes every stanza by its destination domain through the
/// <see cref="RouteTable"/>, and turns any failure into a bounce, so that a stanza is delivered, stored, or answered
/// with an error, never silently lost.
/// </summary>
public sealed partial class Router(RouteTable routes, ILogger<Router> logger)
{
    /// <summary>Routes a stanza. Never throws: failures are logged and bounced to the sender.</summary>
    public async ValueTask RouteAsync(Stanza stanza)
    {
        try
        {
            var route = routes.Find(stanza.To.Domain);
            if (route is null)
            {
                await BounceAsync(stanza, StanzaErrorCondition.RemoteServerNotFound).ConfigureAwait(false);
                return;
            }

            await route.RouteAsync(stanza).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            await BounceAsync(stanza, e.Condition, e.Text).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.RouteFailed(logger, e, stanza.Name, stanza.From, stanza.To);
            await BounceAsync(stanza, StanzaErrorCondition.InternalServerError).ConfigureAwait(false);
        }
    }

    /// <summary>Routes a stanza built by the server itself (stamps from and to from the given JIDs).</summary>
    public ValueTask RouteAsync(Element element, Jid from, Jid to)
    {
        element.SetAttribute("from", from.ToString());
        element.SetAttribute("to", to.ToString());
        return RouteAsync(new Stanza(element, from, to));
    }

    /// <summary>
    /// Answers <paramref name="stanza"/> with an error to its sender, unless it is itself an error or an iq result
    /// (RFC 6120 §8.3.1: never answer an error with an error). Never throws.
    /// </summary>
    public ValueTask BounceAsync(Stanza stanza, StanzaErrorCondition condition, string? text = null) =>
        BounceAsync(stanza, condition, text, null);

    /// <summary>
    /// Answers <paramref name="stanza"/> with the error a handler threw, including its application-specific condition
    /// (RFC 6120 §8.3.2), unless it is itself an error or an iq result. Never throws.
    /// </summary>
    public ValueTask BounceAsync(Stanza stanza, StanzaErrorException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return BounceAsync(stanza, error.Condition, error.Text, error.ApplicationCondition);
    }

    private async ValueTask BounceAsync(Stanza stanza, StanzaErrorCondition condition, string? text, Element? applicationCondition)
    {
        if (StanzaErrors.MustNotBounce(stanza.Element))
        {
            Log.DroppedUnbounceable(logger, stanza.Name, stanza.From, stanza.To, condition);
            return;
        }

        var reply = StanzaErrors.BuildReply(stanza.Element, condition, text);
        if (applicationCondition is not null)
        {
            reply.Child("error", stanza.Element.Namespace)?.Add(applicationCondition.Clone());
        }

        var bounce = new Stanza(reply, stanza.To, stanza.From);
        try
        {
            var route = routes.Find(bounce.To.Domain);
            if (route is not null)
            {
                await route.RouteAsync(bounce).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // The bounce is an error stanza: it can never bounce again, so a failure here ends the chain.
            Log.BounceFailed(logger, e, stanza.Name, stanza.From);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Routing {Name} from {From} to {To} failed")]
        public static partial void RouteFailed(ILogger logger, Exception e, string name, Jid from, Jid to);

        [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Dropped {Name} from {From} to {To} ({Condition}): errors and results are never bounced")]
        public static partial void DroppedUnbounceable(ILogger logger, string name, Jid from, Jid to, StanzaErrorCondition condition);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Bouncing {Name} to {From} failed")]
        public static partial void BounceFailed(ILogger logger, Exception e, string name, Jid from);

        // Next free EventId: 103
    }
}
