using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Rookery.Modules.Carbons;
using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Push;

/// <content>
/// Publishing notifications (XEP-0357 §7): which waiting messages are worth one, the publish request, and what an app
/// server's error answer does to its registration.
/// </content>
public sealed partial class PushModule
{
    /// <summary>The XEP-0060 namespace of the publish request.</summary>
    public const string PubsubNamespace = "http://jabber.org/protocol/pubsub";

    // Waiting messages queued for the notifier loop; beyond this many a burst loses notifications (logged), never
    // memory without bound nor the routing path's time.
    private const int QueueCapacity = 10_000;

    // Notification ids: "push-", 16 hex digits, '-', the node in base64url. The node rides in the id so that whichever
    // cluster node receives the app server's answer knows which registration it concerns, with no state kept per
    // notification (the service is the answer's sender, the account its addressee).
    private const string IdPrefix = "push-";
    private const int IdNodeStart = 22;

    private static readonly object Marker = new();

    private readonly Channel<Queued> _queue = Channel.CreateBounded<Queued>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    // Messages a notification went out for while queued to a waiting session: when that session is not resumed they are
    // stored offline, which must not notify the same message again. Weak: a message forgotten by everyone goes.
    private readonly ConditionalWeakTable<Element, object> _notified = new();

    // Per waiting session, the important messages queued during its current wait (the notification's message-count).
    private readonly ConditionalWeakTable<IClientSession, WaitCount> _waitCounts = new();

    // How many queued items each target (an account's offline queue, or one waiting session) has: an item with a newer
    // one behind it for the same target is not published, the newer one carries the count (see Coalesce).
    private readonly ConcurrentDictionary<(Jid Owner, IClientSession? Session), int> _queuedFor = new();

    private void OnMessageWaiting(WaitingMessage waiting)
    {
        if (!IsWorthNotifying(waiting.Message, out _))
        {
            return;
        }

        var count = 0;
        if (waiting.Session is { } session)
        {
            var counter = _waitCounts.GetOrCreateValue(session);
            lock (counter)
            {
                if (counter.Hibernation != waiting.Hibernation)
                {
                    counter.Hibernation = waiting.Hibernation;
                    counter.Count = 0;
                }

                count = ++counter.Count;
            }
        }
        else if (_notified.TryGetValue(waiting.Message, out _))
        {
            // Stored offline after its session's wait for resumption ran out: the devices were told already.
            return;
        }

        var target = (waiting.To.Bare, waiting.Session);
        _queuedFor.AddOrUpdate(target, 1, static (_, n) => n + 1);
        if (!_queue.Writer.TryWrite(new Queued(waiting, count)))
        {
            Dequeued(target);
            Log.QueueFull(logger, waiting.To.Bare.ToString());
        }
    }

    /// <summary>Counts an item of <paramref name="target"/> out of the queue; returns how many are still queued behind it.</summary>
    private int Dequeued((Jid Owner, IClientSession? Session) target)
    {
        var left = _queuedFor.AddOrUpdate(target, 0, static (_, n) => n - 1);
        if (left <= 0)
        {
            _queuedFor.TryRemove(new KeyValuePair<(Jid, IClientSession?), int>(target, left));
        }

        return left;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await NotifyAsync(item, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    Log.NotifyFailed(logger, e, item.Waiting.To.Bare.ToString());
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task NotifyAsync(Queued item, CancellationToken ct)
    {
        var waiting = item.Waiting;
        // Coalesce: a burst that arrives faster than notifications go out wakes the device once, with the count of the
        // whole burst, rather than once per message (XEP-0357 asks for no more; the app server would collapse them).
        if (Dequeued((waiting.To.Bare, waiting.Session)) > 0)
        {
            if (waiting.Session is not null)
            {
                // Covered by the newer notification, so not notified again should its session never be resumed.
                _notified.AddOrUpdate(waiting.Message, Marker);
            }

            return;
        }

        var owner = waiting.To.Bare;
        var ownerText = owner.ToString();
        var registrations = await store.GetAsync(ownerText, ct).ConfigureAwait(false);
        if (registrations.Count == 0)
        {
            return;
        }

        int count;
        if (waiting.Session is { } session)
        {
            count = item.Count;
        }
        else
        {
            // The messages waiting in offline storage, this one included: what the user will find on opening the app.
            count = Math.Max(1, await offline.CountAsync(ownerText, ct).ConfigureAwait(false));
        }

        IsWorthNotifying(waiting.Message, out var content);
        var sent = false;
        foreach (var registration in registrations)
        {
            // A waiting session wakes only the device that registered from it (as ejabberd and Prosody tie a
            // registration to the session that enabled it); an offline message wakes every registered device.
            if (waiting.Session is { } waitingSession && registration.Resource != waitingSession.Jid.Resource)
            {
                continue;
            }

            if (!Jid.TryParse(registration.Service, out var service))
            {
                continue;
            }

            var id = NewId(registration.Node);
            var iq = BuildNotification(registration, id, count, content);
            await router.RouteAsync(iq, owner, service).ConfigureAwait(false);
            sent = true;
            Log.Notified(logger, id, ownerText, registration.Service, registration.Node, count);
        }

        if (sent && waiting.Session is not null)
        {
            _notified.AddOrUpdate(waiting.Message, Marker);
        }
    }

    /// <summary>The publish request of §7 for one registration.</summary>
    private Element BuildNotification(PushRegistration registration, string id, int count, Element content)
    {
        var iq = new Element("iq", Ns.Client).SetAttribute("type", "set").SetAttribute("id", id);
        var pubsub = iq.AddChild("pubsub", PubsubNamespace);
        var publish = pubsub.AddChild("publish");
        if (registration.Node.Length > 0)
        {
            publish.SetAttribute("node", registration.Node);
        }

        var summary = publish.AddChild("item").AddChild("notification", Namespace).AddChild("x", DataForm.Namespace).SetAttribute("type", "form");
        AddField(summary, DataForm.FormTypeField, SummaryFormType, "hidden");
        AddField(summary, "message-count", count.ToString(CultureInfo.InvariantCulture), null);
        if (_options.IncludeSender && content.GetAttribute("from") is { } from && Jid.TryParse(from, out var sender))
        {
            AddField(summary, "last-message-sender", sender.Bare.ToString(), null);
        }

        if (_options.IncludeBody && content.Child("body", content.Namespace) is { Text.Length: > 0 } body)
        {
            AddField(summary, "last-message-body", body.Text, null);
        }

        // §7: the form given when enabling goes with every publish.
        if (registration.PublishOptions is { } stored)
        {
            pubsub.AddChild("publish-options").Add(StoredStanza.Parse(stored));
        }

        return iq;
    }

    private static void AddField(Element form, string var, string value, string? type) =>
        form.AddChild("field").SetAttribute("var", var).SetAttribute("type", type).AddChild("value").AddText(value);

    /// <summary>
    /// Takes an app server's answer to a notification (an iq result or error to the account's bare JID whose id is one of
    /// ours). §7.1: after an error the registration SHOULD be considered disabled, and MAY be kept when the error is
    /// transient: a <c>wait</c> error keeps it, any other removes it.
    /// </summary>
    private async ValueTask<HookResult> OnInboundAsync(StanzaHookContext context)
    {
        var stanza = context.Stanza;
        if (stanza.Name != "iq" || !stanza.To.IsBare || stanza.Type is not ("result" or "error") ||
            !TryReadNode(stanza.Element.GetAttribute("id"), out var node))
        {
            return HookResult.Continue;
        }

        if (stanza.Type == "error")
        {
            var owner = stanza.To.ToString();
            var service = stanza.From.ToString();
            var type = stanza.Element.Child("error", stanza.Element.Namespace)?.GetAttribute("type") ?? "cancel";
            var condition = StanzaErrors.ConditionOf(stanza.Element)?.ToWireName() ?? "undefined-condition";
            if (type is "wait")
            {
                Log.KeptAfterError(logger, service, owner, type, condition);
            }
            else if (await store.DisableAsync(owner, service, node, context.Cancellation).ConfigureAwait(false) > 0)
            {
                Log.RemovedAfterError(logger, service, owner, type, condition, node);
            }
        }

        // Answers to the server's own requests: nobody else waits for them (RFC 6120 §8.2.3).
        return HookResult.Handled;
    }

    private static string NewId(string node)
    {
        var random = Random.Shared.NextInt64().ToString("x16", CultureInfo.InvariantCulture);
        return IdPrefix + random + "-" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(node));
    }

    private static bool TryReadNode(string? id, out string node)
    {
        node = string.Empty;
        if (id is null || id.Length < IdNodeStart || !id.StartsWith(IdPrefix, StringComparison.Ordinal) || id[IdNodeStart - 1] != '-')
        {
            return false;
        }

        try
        {
            node = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(id.AsSpan(IdNodeStart)));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether a waiting message is worth waking a device for ("important", as Prosody's mod_cloud_notify calls it): a
    /// message with a body, an end-to-end encrypted payload or a call proposal. Chat states, receipts and markers alone,
    /// errors, headlines and carbon copies of the user's own sent messages are not. A received carbon is judged by the
    /// message it carries, which is returned in <paramref name="content"/> (the message itself otherwise).
    /// </summary>
    internal static bool IsWorthNotifying(Element message, out Element content)
    {
        content = message;
        if (message.Name != "message" || message.GetAttribute("type") is "error" or "headline")
        {
            return false;
        }

        if (message.Child("sent", CarbonsModule.Namespace) is not null)
        {
            return false;
        }

        if (message.Child("received", CarbonsModule.Namespace) is { } received)
        {
            if (received.Child("forwarded", CarbonsModule.ForwardNamespace)?.FirstElement() is not { Name: "message" } inner)
            {
                return false;
            }

            content = inner;
            return IsWorthNotifying(inner, out _);
        }

        foreach (var child in message.Elements())
        {
            var important = (child.Name, child.Namespace) switch
            {
                ("body", _) when child.Namespace == message.Namespace => child.Text.Length > 0,
                ("encrypted", "eu.siacs.conversations.axolotl") => true, // OMEMO (XEP-0384 0.3)
                ("encrypted", "urn:xmpp:omemo:2") => true,               // OMEMO 2
                ("openpgp", "urn:xmpp:openpgp:0") => true,               // XEP-0373
                ("x", "jabber:x:encrypted") => true,                     // XEP-0027
                ("propose", "urn:xmpp:jingle-message:0") => true,        // an incoming call (XEP-0353)
                _ => false,
            };
            if (important)
            {
                return true;
            }
        }

        return false;
    }

    private sealed record Queued(WaitingMessage Waiting, int Count);

    private sealed class WaitCount
    {
        public int Hibernation;
        public int Count;
    }
}
