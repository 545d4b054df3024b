using System.Globalization;
using Rookery.Modules.Disco;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Pep;

/// <summary>
/// The configuration of a PEP node (XEP-0060 §16.4 pubsub#node_config fields this service supports), with the defaults
/// of XEP-0163 §5, its data form, and its stored form.
/// </summary>
/// <param name="Access">pubsub#access_model.</param>
/// <param name="MaxItems">pubsub#max_items: the most items kept, or null for <c>max</c> (the service's limit).</param>
/// <param name="PersistItems">pubsub#persist_items: when false only the last item is kept, for late-comers (§4.3.4).</param>
/// <param name="NotifyRetract">pubsub#notify_retract: retractions are notified.</param>
/// <param name="NotifyDelete">pubsub#notify_delete: the node's deletion is notified.</param>
/// <param name="SendLastPublishedItem">pubsub#send_last_published_item: never, on_sub or on_sub_and_presence.</param>
/// <param name="RosterGroupsAllowed">pubsub#roster_groups_allowed: the groups of the roster access model.</param>
/// <param name="Title">pubsub#title.</param>
public sealed record NodeConfig(
    AccessModel Access,
    int? MaxItems,
    bool PersistItems,
    bool NotifyRetract,
    bool NotifyDelete,
    string SendLastPublishedItem,
    IReadOnlyList<string> RosterGroupsAllowed,
    string Title)
{
    /// <summary>The FORM_TYPE of node configuration forms.</summary>
    public const string FormType = PepModule.Namespace + "#node_config";

    /// <summary>The FORM_TYPE of publish options (XEP-0060 §7.1.5).</summary>
    public const string PublishOptionsFormType = PepModule.Namespace + "#publish-options";

    private const string AccessField = "pubsub#access_model";
    private const string MaxItemsField = "pubsub#max_items";
    private const string PersistField = "pubsub#persist_items";
    private const string NotifyRetractField = "pubsub#notify_retract";
    private const string NotifyDeleteField = "pubsub#notify_delete";
    private const string SendLastField = "pubsub#send_last_published_item";
    private const string GroupsField = "pubsub#roster_groups_allowed";
    private const string TitleField = "pubsub#title";

    /// <summary>XEP-0163 §5: presence access, the last item sent on subscription and presence, one item kept.</summary>
    public static NodeConfig Default { get; } = new(AccessModel.Presence, 1, true, true, true, "on_sub_and_presence", [], string.Empty);

    /// <summary>The number of items the node keeps, with <c>max</c> and non-persistent nodes resolved.</summary>
    public int EffectiveMaxItems(int serviceLimit) => !PersistItems ? 1 : Math.Min(MaxItems ?? serviceLimit, serviceLimit);

    /// <summary>True when a late-comer gets the last item when its presence or caps show interest (XEP-0163 §4.3.4).</summary>
    public bool SendsLastOnPresence => SendLastPublishedItem == "on_sub_and_presence";

    /// <summary>The stored form: field name → value (multiple values joined by line feeds).</summary>
    public Dictionary<string, string> ToStored() => new(StringComparer.Ordinal)
    {
        [AccessField] = AccessName(Access),
        [MaxItemsField] = MaxItems?.ToString(CultureInfo.InvariantCulture) ?? "max",
        [PersistField] = PersistItems ? "true" : "false",
        [NotifyRetractField] = NotifyRetract ? "true" : "false",
        [NotifyDeleteField] = NotifyDelete ? "true" : "false",
        [SendLastField] = SendLastPublishedItem,
        [GroupsField] = string.Join('\n', RosterGroupsAllowed),
        [TitleField] = Title,
    };

    /// <summary>Reads a stored configuration; fields it lacks (stored by an older version) take their defaults.</summary>
    public static NodeConfig FromStored(IReadOnlyDictionary<string, string> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (key, value) in stored)
        {
            values[key] = key == GroupsField ? [.. value.Split('\n', StringSplitOptions.RemoveEmptyEntries)] : [value];
        }

        // Stored values were validated when they were set; should one not read back, the default is the safer choice.
        try
        {
            return Default.With(values);
        }
        catch (StanzaErrorException)
        {
            return Default;
        }
    }

    /// <summary>
    /// This configuration changed by the fields of a submitted form (XEP-0060 §8.2.4); a field this service does not
    /// know or a value it cannot take is <c>not-acceptable</c> (§8.2.5.3).
    /// </summary>
    public NodeConfig With(IReadOnlyDictionary<string, List<string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var config = this;
        foreach (var (name, values) in fields)
        {
            var single = values.Count > 0 ? values[0] : string.Empty;
            config = name switch
            {
                "FORM_TYPE" => config,
                AccessField => config with { Access = ParseAccess(single) },
                MaxItemsField => config with { MaxItems = ParseMaxItems(single) },
                PersistField => config with { PersistItems = ParseBool(name, single) },
                NotifyRetractField => config with { NotifyRetract = ParseBool(name, single) },
                NotifyDeleteField => config with { NotifyDelete = ParseBool(name, single) },
                SendLastField => config with { SendLastPublishedItem = ParseSendLast(single) },
                GroupsField => config with { RosterGroupsAllowed = [.. values.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal)] },
                TitleField => config with { Title = single },
                _ => throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Unsupported configuration field '{name}'"),
            };
        }

        return config;
    }

    /// <summary>
    /// The publish-option fields (XEP-0060 §7.1.5) that this configuration does not satisfy, empty when all are met.
    /// An option this service does not know cannot be met.
    /// </summary>
    public List<string> UnmetPreconditions(IReadOnlyDictionary<string, List<string>> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var unmet = new List<string>();
        foreach (var (name, values) in options)
        {
            if (name == "FORM_TYPE")
            {
                continue;
            }

            NodeConfig wanted;
            try
            {
                wanted = With(new Dictionary<string, List<string>>(StringComparer.Ordinal) { [name] = values });
            }
            catch (StanzaErrorException)
            {
                unmet.Add(name);
                continue;
            }

            if (!SameAs(wanted))
            {
                unmet.Add(name);
            }
        }

        return unmet;
    }

    /// <summary>The configuration as a data form of the given type (form to fill in, or result).</summary>
    public Element ToForm(string type)
    {
        var form = new Element("x", DiscoModule.DataFormsNamespace).SetAttribute("type", type);
        Field(form, "FORM_TYPE", "hidden", null, FormType);
        Field(form, AccessField, "list-single", "Who may subscribe and retrieve items", AccessName(Access), "open", "presence", "roster", "whitelist");
        Field(form, MaxItemsField, "text-single", "Max # of items to persist (or 'max')", MaxItems?.ToString(CultureInfo.InvariantCulture) ?? "max");
        Field(form, PersistField, "boolean", "Persist items to storage", PersistItems ? "1" : "0");
        Field(form, NotifyRetractField, "boolean", "Notify subscribers when items are removed from the node", NotifyRetract ? "1" : "0");
        Field(form, NotifyDeleteField, "boolean", "Notify subscribers when the node is deleted", NotifyDelete ? "1" : "0");
        Field(form, SendLastField, "list-single", "When to send the last published item", SendLastPublishedItem, "never", "on_sub", "on_sub_and_presence");
        var groups = Field(form, GroupsField, "list-multi", "Roster groups allowed to subscribe", null);
        foreach (var group in RosterGroupsAllowed)
        {
            groups.AddChild("value").AddText(group);
        }

        Field(form, TitleField, "text-single", "A friendly name for the node", Title);
        return form;
    }

    /// <summary>
    /// The fields of a submitted data form of the given FORM_TYPE (XEP-0004 §3.4); a form of another type, or a
    /// cancelled one, is <c>bad-request</c>. Null when <paramref name="parent"/> holds no form.
    /// </summary>
    public static Dictionary<string, List<string>>? ReadForm(Element? parent, string formType)
    {
        var form = parent?.Child("x", DiscoModule.DataFormsNamespace);
        if (form is null)
        {
            return null;
        }

        if (form.GetAttribute("type") is not ("submit" or null))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The form must be of type 'submit'");
        }

        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var field in form.Elements())
        {
            if (field.Name != "field" || field.Namespace != DiscoModule.DataFormsNamespace || field.GetAttribute("var") is not { } name)
            {
                continue;
            }

            var values = new List<string>();
            foreach (var value in field.Elements())
            {
                if (value.Name == "value" && value.Namespace == DiscoModule.DataFormsNamespace)
                {
                    values.Add(value.Text);
                }
            }

            fields[name] = values;
        }

        if (fields.TryGetValue("FORM_TYPE", out var type) && (type.Count != 1 || type[0] != formType))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The form's FORM_TYPE must be '{formType}'");
        }

        return fields;
    }

    private bool SameAs(NodeConfig other) =>
        Access == other.Access && MaxItems == other.MaxItems && PersistItems == other.PersistItems &&
        NotifyRetract == other.NotifyRetract && NotifyDelete == other.NotifyDelete &&
        SendLastPublishedItem == other.SendLastPublishedItem && Title == other.Title &&
        RosterGroupsAllowed.Order(StringComparer.Ordinal).SequenceEqual(other.RosterGroupsAllowed.Order(StringComparer.Ordinal));

    private static Element Field(Element form, string name, string type, string? label, string? value, params string[] options)
    {
        var field = form.AddChild("field").SetAttribute("var", name).SetAttribute("type", type);
        if (label is not null)
        {
            field.SetAttribute("label", label);
        }

        foreach (var option in options)
        {
            field.AddChild("option").AddChild("value").AddText(option);
        }

        if (value is not null)
        {
            field.AddChild("value").AddText(value);
        }

        return field;
    }

    private static string AccessName(AccessModel access) => access switch
    {
        AccessModel.Open => "open",
        AccessModel.Roster => "roster",
        AccessModel.Whitelist => "whitelist",
        _ => "presence",
    };

    private static AccessModel ParseAccess(string value) => value switch
    {
        "open" => AccessModel.Open,
        "presence" => AccessModel.Presence,
        "roster" => AccessModel.Roster,
        "whitelist" => AccessModel.Whitelist,
        // "authorize" needs subscription approval, which PEP here does not keep.
        _ => throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Unsupported access model '{value}'"),
    };

    private static int? ParseMaxItems(string value)
    {
        // XEP-0060 §16.4 (pubsub#max_items) and XEP-0402 §3: "max" asks for the most the service allows.
        if (value == "max")
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"pubsub#max_items must be a positive number or 'max', not '{value}'");
    }

    private static bool ParseBool(string name, string value) => value switch
    {
        // XEP-0004 §3.3: boolean fields take 0/1 and false/true.
        "1" or "true" => true,
        "0" or "false" => false,
        _ => throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"{name} must be a boolean, not '{value}'"),
    };

    private static string ParseSendLast(string value) => value is "never" or "on_sub" or "on_sub_and_presence"
        ? value
        : throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Unsupported pubsub#send_last_published_item '{value}'");
}
