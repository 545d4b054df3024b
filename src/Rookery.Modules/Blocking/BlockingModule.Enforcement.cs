using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Blocking;

/// <content>Enforcement (XEP-0191 §3.3): the inbound and outbound stanza hooks.</content>
public sealed partial class BlockingModule
{
    // Presence this module routes itself to a blocked JID (the unavailable presence of §3.3), which the inbound hook
    // must let through although the sender blocks the recipient. Weak: an entry goes with its stanza.
    private readonly ConditionalWeakTable<Element, object> _exempt = new();

    /// <summary>
    /// A stanza for a local account. Stanzas from a JID the account blocks are stopped: presence silently, messages and
    /// iq requests with service-unavailable, so that the user appears offline (§3.3). Presence of a local user addressed
    /// to a JID that user blocks (broadcasts and probes the server makes on the user's behalf) is dropped too.
    /// </summary>
    private async ValueTask<HookResult> OnInboundAsync(StanzaHookContext context)
    {
        var stanza = context.Stanza;
        var owner = stanza.To.Bare;
        var from = stanza.From;
        if (IsExempt(owner, from))
        {
            return HookResult.Continue;
        }

        var list = await ListAsync(owner, context.Cancellation).ConfigureAwait(false);
        if (list.Blocks(from))
        {
            Log.BlockedInbound(logger, stanza.Name, from, stanza.To);
            // §3.3: presence (including subscriptions and probes) gets no answer at all. A message SHOULD and an iq get
            // or set MUST get service-unavailable; BounceAsync never answers an error or an iq result, which are dropped.
            if (!stanza.IsPresence)
            {
                await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
            }

            return HookResult.Handled;
        }

        // The other direction for stanzas the server routes on a local user's behalf, which no client sent and the
        // outbound hook never saw: the user's available and unavailable presence (broadcast, probe answers) and the
        // probes sent at login must not reach a JID the user blocks, or the block would reveal the user's presence.
        // Subscription presence (from a roster removal) still goes, so that both rosters stay consistent.
        if (stanza.IsPresence && stanza.Type is null or "unavailable" or "probe"
            && from.Local is not null && hosts.IsLocal(from.Domain) && !_exempt.TryGetValue(stanza.Element, out _))
        {
            var senders = await ListAsync(from.Bare, context.Cancellation).ConfigureAwait(false);
            if (senders.Blocks(stanza.To))
            {
                Log.BlockedPresence(logger, from, stanza.To);
                return HookResult.Handled;
            }
        }

        return HookResult.Continue;
    }

    /// <summary>
    /// A stanza a local client sent: one addressed to a JID the user blocks is not routed, and the client gets
    /// not-acceptable with the <c>&lt;blocked/&gt;</c> condition (§3.3).
    /// </summary>
    private async ValueTask<HookResult> OnOutboundAsync(StanzaHookContext context)
    {
        var stanza = context.Stanza;
        var owner = stanza.From.Bare;
        if (IsExempt(owner, stanza.To))
        {
            return HookResult.Continue;
        }

        var list = await ListAsync(owner, context.Cancellation).ConfigureAwait(false);
        if (!list.Blocks(stanza.To))
        {
            return HookResult.Continue;
        }

        Log.BlockedOutbound(logger, stanza.Name, stanza.From, stanza.To);
        // RFC 6120 §8.3.1: an error or an iq result is never answered with an error; it is simply not routed.
        if (!StanzaErrors.MustNotBounce(stanza.Element) && context.Session is { } session)
        {
            var reply = StanzaErrors.BuildReply(stanza.Element, StanzaErrorCondition.NotAcceptable);
            // §3.3 shows the error with type 'cancel': retrying cannot help while the block lasts.
            var error = reply.Child("error", reply.Namespace)!;
            error.SetAttribute("type", "cancel");
            error.AddChild("blocked", ErrorsNamespace);
            session.Send(reply);
        }

        return HookResult.Handled;
    }

    /// <summary>
    /// Whether stanzas between <paramref name="owner"/> and <paramref name="other"/> are outside any block list: the
    /// account's own resources (XEP-0191 §5: never block one resource from another) and the account's server.
    /// </summary>
    private static bool IsExempt(Jid owner, Jid other) =>
        other.Bare == owner || (other is { IsDomain: true, IsBare: true } && other.Domain == owner.Domain);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1910, Level = LogLevel.Debug, Message = "Stopped {Name} from {From} to {To}: the recipient blocks the sender")]
        public static partial void BlockedInbound(ILogger logger, string name, Jid from, Jid to);

        [LoggerMessage(EventId = 1911, Level = LogLevel.Debug, Message = "Refused {Name} from {From} to {To}: the sender blocks the recipient")]
        public static partial void BlockedOutbound(ILogger logger, string name, Jid from, Jid to);

        [LoggerMessage(EventId = 1912, Level = LogLevel.Debug, Message = "Dropped presence from {From} to {To}: the sender blocks the recipient")]
        public static partial void BlockedPresence(ILogger logger, Jid from, Jid to);

        // Next free EventId: 1913 (this module uses 1910-1919, after its XEP number)
    }
}
