using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Storage;

namespace Rookery.Modules.Push;

/// <summary>
/// Push Notifications (XEP-0357), the user's server side: a client registers an app server's XMPP Push Service and
/// node with an enable request; when a message for the account reaches no connected client (stored offline, or queued
/// for a session that waits for resumption) the server publishes a notification to each registration, and the app
/// server wakes the device through its vendor's push service. Registrations live in storage, so every node of a
/// cluster notifies for them; an app server that answers a notification with a cancel or auth error loses its
/// registration, as ejabberd and Prosody do.
/// </summary>
/// <remarks>
/// Notifications are built and routed off the routing path, by one background loop fed from a bounded queue: the
/// waiting-message hook only decides whether a message is worth a notification and queues it.
/// </remarks>
[Xep(357, "0.4.1")]
public sealed partial class PushModule(
    IPushStore store,
    IOfflineStore offline,
    Router router,
    IOptions<PushOptions> options,
    TimeProvider time,
    ILogger<PushModule> logger) : IXmppModule, IDisposable
{
    /// <summary>The XEP-0357 namespace.</summary>
    public const string Namespace = "urn:xmpp:push:0";

    /// <summary>The FORM_TYPE of the notification's summary form (XEP-0357 §7).</summary>
    public const string SummaryFormType = "urn:xmpp:push:summary";

    /// <summary>The FORM_TYPE of the publish options an enable request may carry (XEP-0357 §5).</summary>
    public const string PublishOptionsFormType = "http://jabber.org/protocol/pubsub#publish-options";

    /// <summary>The priority of the hook that takes the app servers' answers to notifications.</summary>
    public const int HookPriority = 100;

    private readonly PushOptions _options = options.Value;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    /// <inheritdoc />
    public string Name => "push";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // §4.1: clients look for the feature at their own bare JID.
        builder.AddAccountFeature(Namespace);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "enable", EnableAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "disable", DisableAsync);
        builder.OnMessageWaiting(OnMessageWaiting);
        builder.Hook(HookPoint.Inbound, HookPriority, OnInboundAsync);
        _loop ??= Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation; nothing else is expected, and shutdown goes on regardless.
        }

        _stopping.Dispose();
    }

    private async ValueTask<IqResult> EnableAsync(IqContext iq)
    {
        // Only the account's own resources manage its registrations (as for every other account request).
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        var service = ParseService(iq.Payload);
        // §5: the node SHOULD be given; a request without one is kept with an empty node.
        var node = iq.Payload.GetAttribute("node") ?? string.Empty;
        string? publishOptions = null;
        if (iq.Payload.Child("x", DataForm.Namespace) is { } form)
        {
            if (FormType(form) != PublishOptionsFormType)
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The data form of an enable request must have FORM_TYPE {PublishOptionsFormType}");
            }

            var copy = form.Clone();
            // XEP-0004 §3.1 requires a type; the XEP's own example leaves it out.
            copy.SetAttribute("type", copy.GetAttribute("type") ?? "submit");
            publishOptions = copy.ToString();
        }

        var owner = iq.From.Bare.ToString();
        var registration = new PushRegistration(owner, service.ToString(), node, publishOptions, iq.From.Resource ?? string.Empty, time.GetUtcNow());
        if (!await store.TryEnableAsync(registration, _options.MaxRegistrationsPerUser, iq.Cancellation).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"An account may have at most {_options.MaxRegistrationsPerUser} push registrations");
        }

        Log.Enabled(logger, owner, registration.Service, node);
        return IqResult.Empty;
    }

    private async ValueTask<IqResult> DisableAsync(IqContext iq)
    {
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        var service = ParseService(iq.Payload).ToString();
        // §6: with a node, that one registration goes; without, every registration of the service.
        var node = iq.Payload.GetAttribute("node");
        var owner = iq.From.Bare.ToString();
        var removed = await store.DisableAsync(owner, service, node, iq.Cancellation).ConfigureAwait(false);
        Log.Disabled(logger, owner, service, node ?? "*", removed);
        return IqResult.Empty;
    }

    /// <summary>The request's <c>jid</c>: §5 and §6 say it MUST be there; missing or malformed is a bad request.</summary>
    private static Jid ParseService(Element payload)
    {
        var text = payload.GetAttribute("jid");
        if (string.IsNullOrEmpty(text))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The request needs the 'jid' of the push service");
        }

        if (!Jid.TryParse(text, out var jid))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"'{text}' is not a valid JID");
        }

        return jid;
    }

    /// <summary>The value of a form's FORM_TYPE field, or null.</summary>
    private static string? FormType(Element form)
    {
        foreach (var field in form.Elements())
        {
            if (field.Name == "field" && field.Namespace == DataForm.Namespace && field.GetAttribute("var") == DataForm.FormTypeField)
            {
                return field.ChildText("value", DataForm.Namespace);
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5401, Level = LogLevel.Debug, Message = "{Owner} enabled push notifications to {Service} node '{Node}'")]
        public static partial void Enabled(ILogger logger, string owner, string service, string node);

        [LoggerMessage(EventId = 5402, Level = LogLevel.Debug, Message = "{Owner} disabled push notifications to {Service} node '{Node}' ({Removed} removed)")]
        public static partial void Disabled(ILogger logger, string owner, string service, string node, int removed);

        [LoggerMessage(EventId = 5403, Level = LogLevel.Debug, Message = "Push notification {Id} for {Owner} sent to {Service} node '{Node}' (message-count {Count})")]
        public static partial void Notified(ILogger logger, string id, string owner, string service, string node, int count);

        [LoggerMessage(EventId = 5404, Level = LogLevel.Information, Message = "{Service} answered a push notification for {Owner} with a {Type} error ({Condition}); its registration for node '{Node}' was removed")]
        public static partial void RemovedAfterError(ILogger logger, string service, string owner, string type, string condition, string node);

        [LoggerMessage(EventId = 5405, Level = LogLevel.Debug, Message = "{Service} answered a push notification for {Owner} with a {Type} error ({Condition}); the registration is kept")]
        public static partial void KeptAfterError(ILogger logger, string service, string owner, string type, string condition);

        [LoggerMessage(EventId = 5406, Level = LogLevel.Warning, Message = "The push notification queue is full; no notification for a message to {Owner}")]
        public static partial void QueueFull(ILogger logger, string owner);

        [LoggerMessage(EventId = 5407, Level = LogLevel.Error, Message = "Sending push notifications for a message to {Owner} failed")]
        public static partial void NotifyFailed(ILogger logger, Exception e, string owner);

        // Next free EventId: 5408 (push range 5400-5449)
    }
}
