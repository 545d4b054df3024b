using Microsoft.Extensions.Logging;
using Rookery.Modules.DataForms;
using Rookery.Modules.Disco;
using Rookery.Modules.Mam;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// The publish-subscribe service of one host on its own domain (XEP-0060), such as <c>pubsub.example.com</c>: leaf nodes
/// created by the host's users, configured, published to, subscribed to and managed by their owners, with notifications
/// routed to subscribers wherever they are (this node, another cluster node, another server).
/// </summary>
/// <remarks>
/// Nothing is cached: every request reads the node, its affiliations and subscriptions from the shared storage, so
/// every node of a cluster serves the same service and sees another node's changes at once (docs/dev/pubsub.md).
/// Stanzas from one sender are handled in order on its stream's read loop.
/// </remarks>
public sealed partial class PubsubService : IqService
{
    /// <summary>The XEP-0060 namespace.</summary>
    public const string Namespace = "http://jabber.org/protocol/pubsub";

    /// <summary>The owner use cases' namespace.</summary>
    public const string OwnerNamespace = Namespace + "#owner";

    /// <summary>The notification namespace.</summary>
    public const string EventNamespace = Namespace + "#event";

    /// <summary>The service's name in its disco identity and in the host's items.</summary>
    public const string DisplayName = "Publish-Subscribe";

    /// <summary>Longest node name accepted, in characters.</summary>
    public const int MaxNodeNameLength = 1023;

    /// <summary>
    /// The features this service implements (XEP-0060 §10), announced in its disco#info: the access models, affiliations
    /// and use cases that work, and nothing else.
    /// </summary>
    public static readonly string[] Features =
    [
        Namespace,
        Namespace + "#access-authorize",
        Namespace + "#access-open",
        Namespace + "#access-presence",
        Namespace + "#access-roster",
        Namespace + "#access-whitelist",
        Namespace + "#config-node",
        Namespace + "#config-node-max",
        Namespace + "#create-and-configure",
        Namespace + "#create-nodes",
        Namespace + "#delete-items",
        Namespace + "#delete-nodes",
        Namespace + "#instant-nodes",
        Namespace + "#item-ids",
        Namespace + "#last-published",
        Namespace + "#manage-subscriptions",
        Namespace + "#member-affiliation",
        Namespace + "#meta-data",
        Namespace + "#modify-affiliations",
        Namespace + "#multi-subscribe",
        Namespace + "#outcast-affiliation",
        Namespace + "#persistent-items",
        Namespace + "#publish",
        Namespace + "#publish-only-affiliation",
        Namespace + "#publish-options",
        Namespace + "#publisher-affiliation",
        Namespace + "#purge-nodes",
        Namespace + "#retract-items",
        Namespace + "#retrieve-affiliations",
        Namespace + "#retrieve-default",
        Namespace + "#retrieve-default-sub",
        Namespace + "#retrieve-items",
        Namespace + "#retrieve-subscriptions",
        Namespace + "#rsm",
        Namespace + "#subscribe",
        Namespace + "#subscription-options",
    ];

    private readonly string _host;
    private readonly string _service;
    private readonly PubsubOptions _options;
    private readonly IPubsubStore _nodes;
    private readonly IPubsubServiceStore _members;
    private readonly IRosterStore _rosters;
    private readonly SessionTable _sessions;
    private readonly HostRegistry _hosts;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the service of <paramref name="host"/> on <paramref name="domain"/>.</summary>
    public PubsubService(
        Jid domain,
        string host,
        PubsubOptions options,
        IPubsubStore nodes,
        IPubsubServiceStore members,
        IRosterStore rosters,
        SessionTable sessions,
        HostRegistry hosts,
        Router router,
        TimeProvider time,
        ILogger logger)
        : base(domain, router)
    {
        _service = domain.ToString();
        _host = host;
        _options = options;
        _nodes = nodes;
        _members = members;
        _rosters = rosters;
        _sessions = sessions;
        _hosts = hosts;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    protected override async ValueTask HandleIqAsync(Stanza stanza, Element payload)
    {
        Outcome outcome;
        try
        {
            outcome = await DispatchAsync(stanza, payload, stanza.Type == "set");
        }
        catch (StanzaErrorException e)
        {
            var error = StanzaErrors.BuildReply(stanza.Element, e.Condition, e.Text, by: null, e.ApplicationCondition);
            if (e.Condition == StanzaErrorCondition.UnexpectedRequest)
            {
                // XEP-0060 §6.2.3 types not-subscribed 'cancel' (retrying will not help), where RFC 6120 §8.3.3
                // would have 'wait'.
                error.Child("error", error.Namespace)?.SetAttribute("type", "cancel");
            }

            await Router.RouteAsync(error, stanza.To, stanza.From);
            return;
        }

        var reply = new Element("iq", stanza.Element.Namespace).SetAttribute("type", "result").SetAttribute("id", stanza.Element.GetAttribute("id"));
        if (outcome.Result is not null)
        {
            reply.Add(outcome.Result);
        }

        await Router.RouteAsync(reply, stanza.To, stanza.From);
        if (outcome.Then is { } then)
        {
            try
            {
                await then();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The request was answered with success already, and what follows (the last item, the owners' approval
                // forms) comes after it: a failure is logged rather than turned into a second answer to the same iq.
                Log.FollowUpFailed(_logger, e, stanza.From, _service);
            }
        }
    }

    private ValueTask<Outcome> DispatchAsync(Stanza stanza, Element payload, bool set)
    {
        var from = stanza.From;
        return (payload.Namespace, payload.Name, set) switch
        {
            (DiscoModule.InfoNamespace, "query", false) => InfoAsync(payload.GetAttribute("node")),
            (DiscoModule.ItemsNamespace, "query", false) => ItemsDiscoAsync(from, payload.GetAttribute("node"), ResultSet.Parse(payload.Child("set", ResultSet.Namespace))),
            (Namespace, "pubsub", false) => EntityGetAsync(from, SingleAction(payload), payload),
            (Namespace, "pubsub", true) => EntitySetAsync(from, SingleAction(payload), payload),
            (OwnerNamespace, "pubsub", false) => OwnerGetAsync(from, SingleAction(payload)),
            (OwnerNamespace, "pubsub", true) => OwnerSetAsync(from, SingleAction(payload)),
            // As the router does for an iq nobody claims (RFC 6120 §8.2.3).
            _ => throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable),
        };
    }

    private ValueTask<Outcome> EntityGetAsync(Jid from, Element action, Element payload) => action.Name switch
    {
        "items" => RetrieveItemsAsync(from, action, payload.Child("set", ResultSet.Namespace)),
        "subscriptions" => OwnSubscriptionsAsync(from, action),
        "affiliations" => OwnAffiliationsAsync(from, action),
        "options" => GetOptionsAsync(from, action),
        "default" => DefaultOptionsAsync(action),
        _ => throw BadAction(action),
    };

    private ValueTask<Outcome> EntitySetAsync(Jid from, Element action, Element payload) => action.Name switch
    {
        "create" => CreateAsync(from, action, payload.Child("configure", Namespace)),
        "publish" => PublishAsync(from, action, payload.Child("publish-options", Namespace)),
        "retract" => RetractAsync(from, action),
        "subscribe" => SubscribeAsync(from, action, payload.Child("options", Namespace)),
        "unsubscribe" => UnsubscribeAsync(from, action),
        "options" => SubmitOptionsAsync(from, action),
        _ => throw BadAction(action),
    };

    private ValueTask<Outcome> OwnerGetAsync(Jid from, Element action) => action.Name switch
    {
        "configure" => GetConfigurationAsync(from, action),
        "default" => ValueTask.FromResult<Outcome>(DefaultConfiguration(action)),
        "subscriptions" => NodeSubscriptionsAsync(from, action),
        "affiliations" => NodeAffiliationsAsync(from, action),
        _ => throw BadAction(action),
    };

    private ValueTask<Outcome> OwnerSetAsync(Jid from, Element action) => action.Name switch
    {
        "configure" => SetConfigurationAsync(from, action),
        "delete" => DeleteAsync(from, action),
        "purge" => PurgeAsync(from, action),
        "subscriptions" => ModifySubscriptionsAsync(from, action),
        "affiliations" => ModifyAffiliationsAsync(from, action),
        _ => throw BadAction(action),
    };

    /// <summary>XEP-0060 §5.1 and §5.3: the service's identity and features, or a node's identity and meta-data.</summary>
    private async ValueTask<Outcome> InfoAsync(string? node)
    {
        var query = new Element("query", DiscoModule.InfoNamespace);
        if (node is null)
        {
            query.AddChild("identity").SetAttribute("category", "pubsub").SetAttribute("type", "service").SetAttribute("name", DisplayName);
            query.AddChild("feature").SetAttribute("var", DiscoModule.InfoNamespace);
            query.AddChild("feature").SetAttribute("var", DiscoModule.ItemsNamespace);
            foreach (var feature in Features)
            {
                query.AddChild("feature").SetAttribute("var", feature);
            }

            return query;
        }

        var config = await ConfigOfAsync(node);
        var affiliations = await _members.GetAffiliationsAsync(_service, node);
        query.SetAttribute("node", node);
        query.AddChild("identity").SetAttribute("category", "pubsub").SetAttribute("type", "leaf");
        query.AddChild("feature").SetAttribute("var", DiscoModule.InfoNamespace);
        query.AddChild("feature").SetAttribute("var", Namespace);
        query.Add(config.ToMetaData(affiliations.Where(a => a.Affiliation == "owner").Select(a => a.Jid)));
        return query;
    }

    /// <summary>
    /// §5.2: the service's nodes; §5.5: a node's items, for those who may retrieve them; either paged with Result Set
    /// Management (XEP-0059) when the request asks for it, by node name or item id.
    /// </summary>
    private async ValueTask<Outcome> ItemsDiscoAsync(Jid from, string? node, ResultSet rsm)
    {
        var query = new Element("query", DiscoModule.ItemsNamespace);
        Element? set = null;
        if (node is null)
        {
            IReadOnlyList<PubsubNode> nodes = await _nodes.GetNodesAsync(_service);
            if (rsm != ResultSet.None)
            {
                (nodes, set) = ResultPage.Of(nodes, n => n.Name, rsm);
            }

            foreach (var stored in nodes)
            {
                var item = query.AddChild("item").SetAttribute("jid", _service).SetAttribute("node", stored.Name);
                if (NodeConfiguration.FromStored(stored.Config).Title is { Length: > 0 } title)
                {
                    item.SetAttribute("name", title);
                }
            }

            if (set is not null)
            {
                query.Add(set);
            }

            return query;
        }

        var config = await ConfigOfAsync(node);
        await RequireAccessAsync(node, config, from);
        query.SetAttribute("node", node);
        IReadOnlyList<PubsubItem> items = await _nodes.GetItemsAsync(_service, node, null);
        if (rsm != ResultSet.None)
        {
            (items, set) = ResultPage.Of(items, i => i.Id, rsm);
        }

        foreach (var item in items)
        {
            query.AddChild("item").SetAttribute("jid", _service).SetAttribute("name", item.Id);
        }

        if (set is not null)
        {
            query.Add(set);
        }

        return query;
    }

    /// <summary>
    /// The one action element of a request; §7.1.1, §6.1.1 and §8.1.3: publish, subscribe and create may come with
    /// publish-options, options and configure. Anything else beside it is bad-request.
    /// </summary>
    private static Element SingleAction(Element payload)
    {
        Element? action = null;
        foreach (var child in payload.Elements())
        {
            if (child.Namespace != payload.Namespace || (payload.Namespace == Namespace && child.Name is "publish-options" or "configure" or "options"))
            {
                continue;
            }

            if (action is not null)
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A pubsub request holds one action");
            }

            action = child;
        }

        // A lone <options/> is itself the action (§6.3).
        return action ?? payload.Child("options", Namespace)
            ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A pubsub request needs an action");
    }

    private static StanzaErrorException BadAction(Element action) =>
        new(StanzaErrorCondition.BadRequest, $"'{action.Name}' is not a pubsub action of this request type");

    /// <summary>The node attribute of an action; missing or empty is bad-request with nodeid-required.</summary>
    private static string NodeOf(Element action)
    {
        var node = action.GetAttribute("node");
        return string.IsNullOrEmpty(node) ? throw PubsubErrors.NodeIdRequired() : node;
    }

    /// <summary>The node's configuration; item-not-found when it does not exist.</summary>
    private async ValueTask<NodeConfiguration> ConfigOfAsync(string node)
    {
        var stored = await _nodes.GetNodeAsync(_service, node);
        return stored is null ? throw PubsubErrors.NoSuchNode() : NodeConfiguration.FromStored(stored.Config);
    }

    /// <summary>item-not-found when the node does not exist.</summary>
    private async ValueTask RequireNodeAsync(string node)
    {
        if (await _nodes.GetNodeAsync(_service, node) is null)
        {
            throw PubsubErrors.NoSuchNode();
        }
    }

    /// <summary>An entity's affiliation with a node, by its bare JID (§4.1).</summary>
    private async ValueTask<Affiliation> AffiliationOfAsync(string node, Jid who) =>
        AffiliationIn(await _members.GetAffiliationsAsync(_service, node), who);

    /// <summary>Throws the error of §6.1.3 or §6.5.9 when <paramref name="from"/> may not subscribe to the node or see its items.</summary>
    private async ValueTask RequireAccessAsync(string node, NodeConfiguration config, Jid from)
    {
        var affiliations = await _members.GetAffiliationsAsync(_service, node);
        var affiliation = AffiliationIn(affiliations, from);
        IReadOnlyList<RosterItem>? rosterItems = null;
        if (affiliation == Affiliation.None && config.Access is AccessModel.Presence or AccessModel.Roster)
        {
            // §4.5: the owners' rosters decide, read now rather than cached so that a roster change on any cluster
            // node counts at once.
            var items = new List<RosterItem>();
            var contact = from.Bare.ToString();
            foreach (var owner in OwnersIn(affiliations))
            {
                if (await _rosters.GetItemAsync(owner, contact) is { } item)
                {
                    items.Add(item);
                }
            }

            rosterItems = items;
        }

        var approved = false;
        if (affiliation == Affiliation.None && config.Access == AccessModel.Authorize)
        {
            approved = await IsSubscribedAsync(node, from);
        }

        if (NodeAccess.RefuseAccess(config, affiliation, rosterItems, approved) is { } refusal)
        {
            throw refusal;
        }
    }

    /// <summary>An entity's affiliation among a node's affiliations, by its bare JID (§4.1).</summary>
    private static Affiliation AffiliationIn(IReadOnlyList<PubsubAffiliation> affiliations, Jid who)
    {
        var bare = who.Bare.ToString();
        foreach (var affiliation in affiliations)
        {
            if (affiliation.Jid == bare && Affiliations.TryParse(affiliation.Affiliation, out var known))
            {
                return known;
            }
        }

        return Affiliation.None;
    }

    /// <summary>The bare JIDs of a node's owners, whose rosters the presence and roster access models consult.</summary>
    private static IEnumerable<string> OwnersIn(IReadOnlyList<PubsubAffiliation> affiliations) =>
        affiliations.Where(a => a.Affiliation == "owner").Select(a => a.Jid);

    /// <summary>Owner use cases (§8): item-not-found for a missing node first, then forbidden for anyone but an owner.</summary>
    private async ValueTask<NodeConfiguration> RequireOwnerAsync(string node, Jid from)
    {
        var config = await ConfigOfAsync(node);
        return await AffiliationOfAsync(node, from) == Affiliation.Owner ? config : throw PubsubErrors.Forbidden("Only the node's owners may do this");
    }

    /// <summary>A submitted data form of the given FORM_TYPE (XEP-0004 §3.4, XEP-0068), or null when there is none.</summary>
    private static DataForm? ReadForm(Element? parent, string formType, bool allowCancel = false)
    {
        if (parent?.Child("x", DataForm.Namespace) is not { } x)
        {
            return null;
        }

        var form = DataForm.Parse(x);
        if (form.Type == "cancel" && allowCancel)
        {
            return form;
        }

        if (form.Type != "submit")
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The form must be of type 'submit'");
        }

        if (form.FormType is { } type && type != formType)
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The form's FORM_TYPE must be '{formType}'");
        }

        return form;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5471, Level = LogLevel.Debug, Message = "{Owner} created node {Node} on {Service}")]
        public static partial void NodeCreated(ILogger logger, Jid owner, string node, string service);

        [LoggerMessage(EventId = 5472, Level = LogLevel.Debug, Message = "{Owner} deleted node {Node} of {Service}")]
        public static partial void NodeDeleted(ILogger logger, Jid owner, string node, string service);

        [LoggerMessage(EventId = 5473, Level = LogLevel.Debug, Message = "{Publisher} published item {Item} to {Node} of {Service}")]
        public static partial void Published(ILogger logger, Jid publisher, string node, string service, string item);

        [LoggerMessage(EventId = 5474, Level = LogLevel.Warning, Message = "Stored item {Item} of node {Node} of {Service} does not read back; skipped")]
        public static partial void UnreadableItem(ILogger logger, Exception e, string node, string service, string item);

        [LoggerMessage(EventId = 5475, Level = LogLevel.Warning, Message = "What follows the answer to {Requester} from {Service} (the last published item, the owners' approval forms) failed")]
        public static partial void FollowUpFailed(ILogger logger, Exception e, Jid requester, string service);

        // Next free EventId: 5477 (5470 and 5476 are PubsubServiceHost's).

        // §8.6 subscription approval by message: 5700-5709.
        [LoggerMessage(EventId = 5700, Level = LogLevel.Debug, Message = "{Owner} approved the subscription of {Subscriber} to {Node} of {Service}")]
        public static partial void SubscriptionApproved(ILogger logger, Jid owner, string subscriber, string node, string service);

        [LoggerMessage(EventId = 5701, Level = LogLevel.Debug, Message = "{Owner} denied the subscription of {Subscriber} to {Node} of {Service}")]
        public static partial void SubscriptionDenied(ILogger logger, Jid owner, string subscriber, string node, string service);

        [LoggerMessage(EventId = 5702, Level = LogLevel.Warning, Message = "Sending the approval request to {Owner} for node {Node} of {Service} failed")]
        public static partial void ApprovalRequestFailed(ILogger logger, Exception e, string owner, string node, string service);
    }
}
