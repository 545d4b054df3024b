using System.Globalization;
using Rookery.Modules.DataForms;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// The configuration of a leaf node of a publish-subscribe service: the <c>pubsub#node_config</c> fields of XEP-0060
/// §16.4 this service implements, their defaults, the data form that shows them and the form of their storage.
/// </summary>
/// <param name="Title">pubsub#title.</param>
/// <param name="Description">pubsub#description.</param>
/// <param name="Access">pubsub#access_model.</param>
/// <param name="Publish">pubsub#publish_model.</param>
/// <param name="MaxItems">pubsub#max_items: the most items kept, or null for <c>max</c> (the service's limit).</param>
/// <param name="PersistItems">pubsub#persist_items: false makes a transient node that stores nothing.</param>
/// <param name="DeliverPayloads">pubsub#deliver_payloads: notifications carry the item's payload.</param>
/// <param name="DeliverNotifications">pubsub#deliver_notifications: subscribers are notified of publications at all.</param>
/// <param name="NotifyConfig">pubsub#notify_config: subscribers learn of configuration changes.</param>
/// <param name="NotifyDelete">pubsub#notify_delete: subscribers learn of the node's deletion.</param>
/// <param name="NotifyRetract">pubsub#notify_retract: subscribers learn of retractions and purges.</param>
/// <param name="SendLastPublishedItem">pubsub#send_last_published_item: <c>never</c> or <c>on_sub</c>.</param>
/// <param name="ItemReply">pubsub#itemreply: <c>owner</c>, or <c>publisher</c> (items then name their publisher).</param>
/// <param name="PayloadType">pubsub#type: the namespace every payload must have, or empty for any.</param>
/// <param name="NotificationType">pubsub#notification_type: the message type of notifications, <c>headline</c> or <c>normal</c>.</param>
/// <param name="RosterGroupsAllowed">pubsub#roster_groups_allowed: the owners' roster groups of the roster access model.</param>
public sealed record NodeConfiguration(
    string Title,
    string Description,
    AccessModel Access,
    PublishModel Publish,
    int? MaxItems,
    bool PersistItems,
    bool DeliverPayloads,
    bool DeliverNotifications,
    bool NotifyConfig,
    bool NotifyDelete,
    bool NotifyRetract,
    string SendLastPublishedItem,
    string ItemReply,
    string PayloadType,
    string NotificationType,
    IReadOnlyList<string> RosterGroupsAllowed)
{
    /// <summary>The FORM_TYPE of node configuration forms.</summary>
    public const string FormType = PubsubService.Namespace + "#node_config";

    /// <summary>The FORM_TYPE of publish options (XEP-0060 §7.1.5).</summary>
    public const string PublishOptionsFormType = PubsubService.Namespace + "#publish-options";

    /// <summary>The FORM_TYPE of node meta-data in disco#info (XEP-0060 §5.4).</summary>
    public const string MetaDataFormType = PubsubService.Namespace + "#meta-data";

    private const string TitleField = "pubsub#title";
    private const string DescriptionField = "pubsub#description";
    private const string NodeTypeField = "pubsub#node_type";
    private const string AccessField = "pubsub#access_model";
    private const string PublishField = "pubsub#publish_model";
    private const string MaxItemsField = "pubsub#max_items";
    private const string PersistField = "pubsub#persist_items";
    private const string DeliverPayloadsField = "pubsub#deliver_payloads";
    private const string DeliverNotificationsField = "pubsub#deliver_notifications";
    private const string NotifyConfigField = "pubsub#notify_config";
    private const string NotifyDeleteField = "pubsub#notify_delete";
    private const string NotifyRetractField = "pubsub#notify_retract";
    private const string SendLastField = "pubsub#send_last_published_item";
    private const string ItemReplyField = "pubsub#itemreply";
    private const string TypeField = "pubsub#type";
    private const string NotificationTypeField = "pubsub#notification_type";
    private const string GroupsField = "pubsub#roster_groups_allowed";

    // The stored form keeps one string per field: the groups are joined by DataForm.StoredValueSeparator, a line feed,
    // which a group name therefore may not hold (it is refused when configured).

    /// <summary>
    /// A new node's configuration: open to all, published to by its publishers, ten items kept, payloads delivered,
    /// deletions and retractions notified, no last item on subscription (as Prosody's defaults).
    /// </summary>
    public static NodeConfiguration Default { get; } = new(
        string.Empty, string.Empty, AccessModel.Open, PublishModel.Publishers, 10, PersistItems: true, DeliverPayloads: true,
        DeliverNotifications: true, NotifyConfig: false, NotifyDelete: true, NotifyRetract: true, "never", "owner", string.Empty, "headline", []);

    /// <summary>The number of items the node keeps, <c>max</c> resolved to the service's limit.</summary>
    public int EffectiveMaxItems(int serviceLimit) => Math.Min(MaxItems ?? serviceLimit, serviceLimit);

    /// <summary>Whether subscribing sends the node's last item (§6.1.7).</summary>
    public bool SendsLastOnSubscribe => SendLastPublishedItem == "on_sub";

    /// <summary>The stored form: field name → value.</summary>
    public Dictionary<string, string> ToStored()
    {
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values, _) in Fields())
        {
            stored[name] = string.Join(DataForm.StoredValueSeparator, values);
        }

        return stored;
    }

    /// <summary>
    /// Reads a stored configuration; fields it lacks (stored by an older version) take their defaults, and one that no
    /// longer reads back (it was valid when stored) makes the whole configuration the default rather than fail the node.
    /// </summary>
    public static NodeConfiguration FromStored(IReadOnlyDictionary<string, string> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var form = DataForm.FromStored(stored, GroupsField);
        try
        {
            return Default.With(form);
        }
        catch (StanzaErrorException)
        {
            return Default;
        }
    }

    /// <summary>
    /// This configuration changed by the fields of a submitted form (XEP-0060 §8.2.4); a field this service does not
    /// know or a value it cannot take is <c>not-acceptable</c> (§8.2.5). FORM_TYPE is checked by the caller.
    /// </summary>
    public NodeConfiguration With(DataForm form)
    {
        ArgumentNullException.ThrowIfNull(form);
        var config = this;
        foreach (var field in form.Fields)
        {
            var name = field.Var;
            var value = field.Values.Count > 0 ? field.Values[0] : string.Empty;
            config = name switch
            {
                null or DataForm.FormTypeField => config,
                TitleField => config with { Title = value },
                DescriptionField => config with { Description = value },
                // Only leaf nodes here: collections (XEP-0248) are not implemented.
                NodeTypeField => value == "leaf" ? config : throw NotAcceptable($"Only leaf nodes are supported, not '{value}'"),
                AccessField => config with { Access = ParseAccess(value) },
                PublishField => config with { Publish = ParsePublish(value) },
                MaxItemsField => config with { MaxItems = ParseMaxItems(value) },
                PersistField => config with { PersistItems = ParseBool(name, value) },
                DeliverPayloadsField => config with { DeliverPayloads = ParseBool(name, value) },
                DeliverNotificationsField => config with { DeliverNotifications = ParseBool(name, value) },
                NotifyConfigField => config with { NotifyConfig = ParseBool(name, value) },
                NotifyDeleteField => config with { NotifyDelete = ParseBool(name, value) },
                NotifyRetractField => config with { NotifyRetract = ParseBool(name, value) },
                SendLastField => config with { SendLastPublishedItem = OneOf(name, value, "never", "on_sub") },
                ItemReplyField => config with { ItemReply = OneOf(name, value, "owner", "publisher") },
                TypeField => config with { PayloadType = value },
                NotificationTypeField => config with { NotificationType = OneOf(name, value, "headline", "normal") },
                GroupsField => config with { RosterGroupsAllowed = ParseGroups(field.Values) },
                _ => throw NotAcceptable($"Unsupported configuration field '{name}'"),
            };
        }

        return config;
    }

    /// <summary>
    /// The publish options (XEP-0060 §7.1.5) this configuration does not satisfy, empty when all are met; an option this
    /// service does not know, or a value it cannot take, cannot be met.
    /// </summary>
    public List<string> UnmetPreconditions(DataForm options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var unmet = new List<string>();
        foreach (var field in options.Fields)
        {
            if (field.Var is null or DataForm.FormTypeField)
            {
                continue;
            }

            var single = new DataForm("submit");
            single.AddField(field.Var).Values.AddRange(field.Values);
            try
            {
                if (With(single) != this)
                {
                    unmet.Add(field.Var);
                }
            }
            catch (StanzaErrorException)
            {
                unmet.Add(field.Var);
            }
        }

        return unmet;
    }

    /// <summary>Whether two configurations have the same values, the allowed groups compared as sets (not by reference).</summary>
    public bool Equals(NodeConfiguration? other) =>
        other is not null &&
        Title == other.Title && Description == other.Description && Access == other.Access && Publish == other.Publish &&
        MaxItems == other.MaxItems && PersistItems == other.PersistItems && DeliverPayloads == other.DeliverPayloads &&
        DeliverNotifications == other.DeliverNotifications && NotifyConfig == other.NotifyConfig && NotifyDelete == other.NotifyDelete &&
        NotifyRetract == other.NotifyRetract && SendLastPublishedItem == other.SendLastPublishedItem && ItemReply == other.ItemReply &&
        PayloadType == other.PayloadType && NotificationType == other.NotificationType &&
        RosterGroupsAllowed.Order(StringComparer.Ordinal).SequenceEqual(other.RosterGroupsAllowed.Order(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(
            HashCode.Combine(Title, Description, Access, Publish, MaxItems, PersistItems, DeliverPayloads, DeliverNotifications),
            HashCode.Combine(NotifyConfig, NotifyDelete, NotifyRetract, SendLastPublishedItem, ItemReply, PayloadType, NotificationType, RosterGroupsAllowed.Count));

    /// <summary>The configuration as a data form of the given type (<c>form</c> to fill in, or <c>result</c>).</summary>
    public Element ToForm(string type)
    {
        var form = new DataForm(type).WithFormType(FormType);
        foreach (var (name, values, label) in Fields())
        {
            var field = form.AddField(name, FieldType(name), label);
            field.Values.AddRange(values);
            foreach (var option in OptionsOf(name))
            {
                field.Options.Add((null, option));
            }
        }

        return form.ToElement();
    }

    /// <summary>
    /// The node's meta-data for disco#info (XEP-0060 §5.4): the descriptive fields, the models and the owners.
    /// </summary>
    public Element ToMetaData(IEnumerable<string> owners)
    {
        var form = new DataForm("result").WithFormType(MetaDataFormType);
        form.AddField(TitleField).Values.Add(Title);
        form.AddField(DescriptionField).Values.Add(Description);
        form.AddField(TypeField).Values.Add(PayloadType);
        form.AddField(AccessField).Values.Add(AccessName(Access));
        form.AddField(PublishField).Values.Add(PublishName(Publish));
        form.AddField("pubsub#owner", "jid-multi").Values.AddRange(owners);
        return form.ToElement();
    }

    private IEnumerable<(string Name, IReadOnlyList<string> Values, string Label)> Fields()
    {
        yield return (TitleField, [Title], "A friendly name for the node");
        yield return (DescriptionField, [Description], "A description of the node");
        yield return (NodeTypeField, ["leaf"], "The type of node");
        yield return (AccessField, [AccessName(Access)], "Who may subscribe and retrieve items");
        yield return (PublishField, [PublishName(Publish)], "Who may publish items");
        yield return (MaxItemsField, [MaxItems?.ToString(CultureInfo.InvariantCulture) ?? "max"], "Max # of items to persist (or 'max')");
        yield return (PersistField, [Bool(PersistItems)], "Persist items to storage");
        yield return (DeliverPayloadsField, [Bool(DeliverPayloads)], "Deliver payloads with event notifications");
        yield return (DeliverNotificationsField, [Bool(DeliverNotifications)], "Deliver event notifications");
        yield return (NotifyConfigField, [Bool(NotifyConfig)], "Notify subscribers when the node configuration changes");
        yield return (NotifyDeleteField, [Bool(NotifyDelete)], "Notify subscribers when the node is deleted");
        yield return (NotifyRetractField, [Bool(NotifyRetract)], "Notify subscribers when items are removed from the node");
        yield return (SendLastField, [SendLastPublishedItem], "When to send the last published item");
        yield return (ItemReplyField, [ItemReply], "Whom replies to items go to");
        yield return (TypeField, [PayloadType], "The namespace of the payload");
        yield return (GroupsField, RosterGroupsAllowed, "Roster groups allowed to subscribe");
        yield return (NotificationTypeField, [NotificationType], "The message type of event notifications");
    }

    private static string FieldType(string name) => name switch
    {
        PersistField or DeliverPayloadsField or DeliverNotificationsField or NotifyConfigField or NotifyDeleteField or NotifyRetractField => "boolean",
        NodeTypeField or AccessField or PublishField or SendLastField or ItemReplyField or NotificationTypeField => "list-single",
        // XEP-0060 §16.4; offered without options: the owner names groups of its own roster.
        GroupsField => "list-multi",
        _ => "text-single",
    };

    private static string[] OptionsOf(string name) => name switch
    {
        NodeTypeField => ["leaf"],
        AccessField => ["authorize", "open", "presence", "roster", "whitelist"],
        PublishField => ["publishers", "subscribers", "open"],
        SendLastField => ["never", "on_sub"],
        ItemReplyField => ["owner", "publisher"],
        NotificationTypeField => ["headline", "normal"],
        _ => [],
    };

    private static string Bool(bool value) => value ? "1" : "0";

    private static string AccessName(AccessModel access) => access switch
    {
        AccessModel.Whitelist => "whitelist",
        AccessModel.Presence => "presence",
        AccessModel.Roster => "roster",
        AccessModel.Authorize => "authorize",
        _ => "open",
    };

    private static string PublishName(PublishModel publish) => publish switch
    {
        PublishModel.Subscribers => "subscribers",
        PublishModel.Open => "open",
        _ => "publishers",
    };

    private static AccessModel ParseAccess(string value) => value switch
    {
        "open" => AccessModel.Open,
        "whitelist" => AccessModel.Whitelist,
        "presence" => AccessModel.Presence,
        "roster" => AccessModel.Roster,
        "authorize" => AccessModel.Authorize,
        _ => throw NotAcceptable($"Unsupported access model '{value}'"),
    };

    private static PublishModel ParsePublish(string value) => value switch
    {
        "publishers" => PublishModel.Publishers,
        "subscribers" => PublishModel.Subscribers,
        "open" => PublishModel.Open,
        _ => throw NotAcceptable($"Unsupported publish model '{value}'"),
    };

    private static int? ParseMaxItems(string value)
    {
        // XEP-0060 §16.4: "max" asks for the most the service allows.
        if (value == "max")
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw NotAcceptable($"pubsub#max_items must be a positive number or 'max', not '{value}'");
    }

    private static List<string> ParseGroups(List<string> values)
    {
        var groups = new List<string>();
        foreach (var value in values)
        {
            if (value.Contains(DataForm.StoredValueSeparator, StringComparison.Ordinal))
            {
                throw NotAcceptable("A roster group allowed may not hold a line feed");
            }

            if (value.Length > 0 && !groups.Contains(value, StringComparer.Ordinal))
            {
                groups.Add(value);
            }
        }

        return groups;
    }

    private static bool ParseBool(string name, string value) => value switch
    {
        // XEP-0004 §3.3: boolean fields take 0/1 and false/true.
        "1" or "true" => true,
        "0" or "false" => false,
        _ => throw NotAcceptable($"{name} must be a boolean, not '{value}'"),
    };

    private static string OneOf(string name, string value, params string[] allowed) =>
        Array.IndexOf(allowed, value) >= 0 ? value : throw NotAcceptable($"Unsupported {name} '{value}'");

    private static StanzaErrorException NotAcceptable(string text) => new(StanzaErrorCondition.NotAcceptable, text);
}
