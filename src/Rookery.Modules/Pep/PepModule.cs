using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Modules.Caps;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Pep;

/// <summary>
/// Personal Eventing Protocol (XEP-0163): every account's bare JID is a publish-subscribe service (XEP-0060) whose nodes
/// only the account publishes to. Nodes are created on first publish (with publish options as preconditions),
/// configured, purged and deleted by the owner; items are retrieved according to each node's access model; and each
/// publication or retraction is notified to the owner's resources and the contacts with a presence subscription whose
/// entity capabilities (XEP-0115) ask for <c>node+notify</c>, who also get the last item when they come online.
/// Enough for avatars (XEP-0084), bookmarks (XEP-0402) and OMEMO device lists.
/// </summary>
/// <remarks>
/// Subscriptions are implicit (presence plus caps, XEP-0163 §4); explicit subscribe requests are not supported. In a
/// cluster, interested resources on every node are notified (their sessions and caps come with the replicated presence).
/// </remarks>
[Xep(60, "1.26.0", XepStatus.Partial, Note = "As profiled by PEP: no explicit subscriptions, no affiliation changes, no collection nodes, no node meta-data form in disco#info (§5.4)")]
[Xep(163, "1.2.2")]
public sealed partial class PepModule(
    IPubsubStore store,
    IRosterStore rosters,
    SessionTable sessions,
    HostRegistry hosts,
    EntityCapabilities capabilities,
    Router router,
    TimeProvider time,
    IOptions<PepOptions> options,
    ILogger<PepModule> logger) : IXmppModule, IDisposable
{
    /// <summary>The XEP-0060 namespace.</summary>
    public const string Namespace = "http://jabber.org/protocol/pubsub";

    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "pep";

    /// <summary>The owner use cases' namespace.</summary>
    public const string OwnerNamespace = Namespace + "#owner";

    /// <summary>The notification namespace.</summary>
    public const string EventNamespace = Namespace + "#event";

    /// <summary>The namespace of pubsub's application error conditions.</summary>
    public const string ErrorsNamespace = Namespace + "#errors";

    /// <summary>The suffix a caps feature adds to a node name to ask for its notifications (XEP-0163 §4.2).</summary>
    public const string NotifySuffix = "+notify";

    /// <summary>
    /// The pubsub features of the account's service (XEP-0060 §10, XEP-0163 §6.1), announced at every account's bare JID.
    /// </summary>
    public static readonly string[] Features =
    [
        Namespace,
        Namespace + "#access-open",
        Namespace + "#access-presence",
        Namespace + "#access-roster",
        Namespace + "#access-whitelist",
        Namespace + "#auto-create",
        Namespace + "#auto-subscribe",
        Namespace + "#config-node",
        Namespace + "#create-and-configure",
        Namespace + "#create-nodes",
        Namespace + "#delete-items",
        Namespace + "#delete-nodes",
        Namespace + "#filtered-notifications",
        Namespace + "#item-ids",
        Namespace + "#last-published",
        Namespace + "#persistent-items",
        Namespace + "#presence-notifications",
        Namespace + "#publish",
        Namespace + "#publish-options",
        Namespace + "#purge-nodes",
        Namespace + "#retract-items",
        Namespace + "#retrieve-affiliations",
        Namespace + "#retrieve-default",
        Namespace + "#retrieve-items",
        Namespace + "#retrieve-subscriptions",
    ];

    private readonly PepOptions _options = options.Value;
    private readonly StripedLock _locks = new();

    // The nodes each resource has been given the last item of (§4.3.4), so that a repeated presence with the same caps
    // sends nothing again; weak, so an ended session leaves nothing behind.
    private readonly ConditionalWeakTable<IClientSession, HashSet<string>> _served = new();

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var feature in Features)
        {
            builder.AddAccountFeature(feature);
        }

        // XEP-0163 §6.1: the account is a PEP service.
        builder.AddAccountIdentity("pubsub", "pep");
        builder.AddAccountItems(ListNodesAsync);
        // XEP-0060 §5.3 and §5.5: disco#info and disco#items of each node (Smack's PubSubManager.getLeafNode, which
        // OMEMO uses for device lists and bundles, asks for the node's identity first).
        builder.AddAccountDiscoNodes(DescribeNodeAsync);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "pubsub", OnGetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "pubsub", OnSetAsync);
        builder.HandleIq(IqType.Get, IqTarget.Bare, OwnerNamespace, "pubsub", OnOwnerGetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, OwnerNamespace, "pubsub", OnOwnerSetAsync);
        capabilities.OnDiscovered(OnCapsDiscoveredAsync);
    }

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();

    private ValueTask<IqResult> OnGetAsync(IqContext iq)
    {
        var action = SingleAction(iq.Payload);
        return action.Name switch
        {
            "items" => ItemsAsync(iq, action),
            "subscriptions" => ValueTask.FromResult(Subscriptions(action)),
            "affiliations" => AffiliationsAsync(iq, action),
            _ => throw Unsupported(action.Name),
        };
    }

    private ValueTask<IqResult> OnSetAsync(IqContext iq)
    {
        var action = SingleAction(iq.Payload, allowPublishOptions: true);
        return action.Name switch
        {
            "publish" => PublishAsync(iq, action),
            "retract" => RetractAsync(iq, action),
            "create" => CreateAsync(iq, action),
            // XEP-0163 §4: subscriptions come from presence; explicit ones are not kept by this service.
            "subscribe" or "unsubscribe" or "options" => throw Unsupported("subscribe"),
            _ => throw Unsupported(action.Name),
        };
    }

    private ValueTask<IqResult> OnOwnerGetAsync(IqContext iq)
    {
        RequireOwner(iq);
        var action = SingleAction(iq.Payload);
        return action.Name switch
        {
            "configure" => GetConfigurationAsync(iq, action),
            "default" => ValueTask.FromResult(DefaultConfiguration()),
            "affiliations" => OwnerAffiliationsAsync(iq, action),
            "subscriptions" => OwnerSubscriptionsAsync(iq, action),
            _ => throw Unsupported(action.Name),
        };
    }

    private ValueTask<IqResult> OnOwnerSetAsync(IqContext iq)
    {
        RequireOwner(iq);
        var action = SingleAction(iq.Payload);
        return action.Name switch
        {
            "configure" => SetConfigurationAsync(iq, action),
            "delete" => DeleteAsync(iq, action),
            "purge" => PurgeAsync(iq, action),
            "affiliations" => throw Unsupported("modify-affiliations"),
            "subscriptions" => throw Unsupported("manage-subscriptions"),
            _ => throw Unsupported(action.Name),
        };
    }

    /// <summary>
    /// The one action element of a pubsub request (XEP-0060 §7.1.1: a publish may come with publish-options, and a
    /// create with configure); anything else is bad-request.
    /// </summary>
    private static Element SingleAction(Element payload, bool allowPublishOptions = false)
    {
        Element? action = null;
        foreach (var child in payload.Elements())
        {
            if (child.Namespace != payload.Namespace)
            {
                continue;
            }

            if (allowPublishOptions && child.Name is "publish-options" or "configure")
            {
                continue;
            }

            if (action is not null)
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A pubsub request holds one action");
            }

            action = child;
        }

        return action ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A pubsub request needs an action");
    }

    /// <summary>The node attribute of an action; XEP-0060 §7.1.3.3: missing is bad-request with nodeid-required.</summary>
    private static string NodeOf(Element action)
    {
        var node = action.GetAttribute("node");
        return string.IsNullOrEmpty(node) ? throw PubsubError(StanzaErrorCondition.BadRequest, "nodeid-required") : node;
    }

    /// <summary>Only the account itself manages its service (XEP-0163 §2.2: one publisher per node, the owner).</summary>
    private static void RequireOwner(IqContext iq)
    {
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }
    }

    /// <summary>An error with a pubsub application condition (XEP-0060 §7, §8).</summary>
    private static StanzaErrorException PubsubError(StanzaErrorCondition condition, string applicationCondition, string? text = null) =>
        new(condition, text, new Element(applicationCondition, ErrorsNamespace));

    /// <summary>XEP-0060 §7.1.3: a feature the service does not support is feature-not-implemented with unsupported.</summary>
    private static StanzaErrorException Unsupported(string feature) =>
        new(StanzaErrorCondition.FeatureNotImplemented, null, new Element("unsupported", ErrorsNamespace).SetAttribute("feature", feature));

    private async ValueTask<NodeConfig?> ConfigOfAsync(Jid owner, string node, CancellationToken ct)
    {
        var stored = await store.GetNodeAsync(owner.ToString(), node, ct).ConfigureAwait(false);
        return stored is null ? null : NodeConfig.FromStored(stored.Config);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1630, Level = LogLevel.Debug, Message = "{Owner} published item {Item} to {Node}")]
        public static partial void Published(ILogger logger, Jid owner, string node, string item);

        [LoggerMessage(EventId = 1631, Level = LogLevel.Warning, Message = "Stored item {Item} of {Owner}'s node {Node} does not read back; skipped")]
        public static partial void UnreadableItem(ILogger logger, Exception e, Jid owner, string node, string item);

        // Next free EventId: 1632
    }
}
