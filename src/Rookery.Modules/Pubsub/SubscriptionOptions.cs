using Rookery.Modules.DataForms;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// The options of one subscription (XEP-0060 §6.3): the <c>pubsub#subscribe_options</c> fields this service honours,
/// their defaults, the form that shows them and the form of their storage.
/// </summary>
/// <remarks>
/// Honoured: <c>pubsub#deliver</c> (false stops every notification of the subscription) and <c>pubsub#show-values</c>
/// (notifications only to resources whose presence has one of the listed shows). Digests, message bodies and leased
/// subscriptions are not implemented: <c>pubsub#digest</c> and <c>pubsub#include_body</c> are accepted when false and
/// refused when true, as is any other field; <c>pubsub#subscription_type</c> and <c>pubsub#subscription_depth</c> belong
/// to collection nodes (XEP-0248), which this service does not have.
/// </remarks>
/// <param name="Deliver">pubsub#deliver: whether the subscription gets notifications at all.</param>
/// <param name="ShowValues">
/// pubsub#show-values: the presence shows (<c>online</c> for none) a resource must have to get notifications; null for
/// no condition on presence (an empty list submitted is read as none).
/// </param>
public sealed record SubscriptionOptions(bool Deliver, IReadOnlyList<string>? ShowValues)
{
    /// <summary>The FORM_TYPE of subscription options forms.</summary>
    public const string FormType = PubsubService.Namespace + "#subscribe_options";

    private const string DeliverField = "pubsub#deliver";
    private const string DigestField = "pubsub#digest";
    private const string IncludeBodyField = "pubsub#include_body";
    private const string ShowValuesField = "pubsub#show-values";

    // Shows are single words, so a line feed joins them in the stored form.

    // RFC 6121 §4.7.2.1's shows, and "online" for an available presence without one (XEP-0060 §16.4.3).
    private static readonly string[] Shows = ["away", "chat", "dnd", "online", "xa"];

    /// <summary>A new subscription's options: notifications delivered, whatever the presence.</summary>
    public static SubscriptionOptions Default { get; } = new(Deliver: true, ShowValues: null);

    /// <summary>Whether a resource whose presence has <paramref name="show"/> (null for none) gets notifications.</summary>
    public bool AcceptsShow(string? show) => ShowValues is null || ShowValues.Contains(show ?? "online", StringComparer.Ordinal);

    /// <summary>The stored form: field name → value; empty for the defaults.</summary>
    public Dictionary<string, string> ToStored()
    {
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Deliver)
        {
            stored[DeliverField] = "0";
        }

        if (ShowValues is not null)
        {
            stored[ShowValuesField] = string.Join(DataForm.StoredValueSeparator, ShowValues);
        }

        return stored;
    }

    /// <summary>
    /// Reads stored options (null: the defaults); a field that no longer reads back makes them the defaults rather than
    /// fail every notification of the node.
    /// </summary>
    public static SubscriptionOptions FromStored(IReadOnlyDictionary<string, string>? stored)
    {
        if (stored is null || stored.Count == 0)
        {
            return Default;
        }

        var form = DataForm.FromStored(stored, ShowValuesField);
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
    /// These options changed by the fields of a submitted form (§6.3.5); a field this service does not honour, or a value
    /// it cannot take, is <c>bad-request</c> with <c>invalid-options</c> (§6.3.6). FORM_TYPE is checked by the caller.
    /// </summary>
    public SubscriptionOptions With(DataForm form)
    {
        ArgumentNullException.ThrowIfNull(form);
        var options = this;
        foreach (var field in form.Fields)
        {
            var name = field.Var;
            var value = field.Values.Count > 0 ? field.Values[0] : string.Empty;
            options = name switch
            {
                null or DataForm.FormTypeField => options,
                DeliverField => options with { Deliver = ParseBool(name, value) },
                // Not implemented: asking for them is refused rather than silently ignored.
                DigestField or IncludeBodyField => ParseBool(name, value) ? throw Invalid($"{name} is not supported") : options,
                ShowValuesField => options with { ShowValues = ParseShows(field.Values) },
                _ => throw Invalid($"Unsupported subscription option '{name}'"),
            };
        }

        return options;
    }

    /// <summary>Whether two sets of options have the same values, the shows compared as sets.</summary>
    public bool Equals(SubscriptionOptions? other) =>
        other is not null && Deliver == other.Deliver &&
        (ShowValues is null ? other.ShowValues is null
            : other.ShowValues is not null && ShowValues.Order(StringComparer.Ordinal).SequenceEqual(other.ShowValues.Order(StringComparer.Ordinal), StringComparer.Ordinal));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Deliver, ShowValues?.Count ?? -1);

    /// <summary>The options as a data form of the given type (<c>form</c> to fill in, or <c>result</c>).</summary>
    public Element ToForm(string type)
    {
        var form = new DataForm(type).WithFormType(FormType);
        form.AddField(DeliverField, "boolean", "Enable delivery?").Values.Add(Deliver ? "1" : "0");
        var shows = form.AddField(ShowValuesField, "list-multi", "Receive notifications only when your presence is one of");
        shows.Values.AddRange(ShowValues ?? []);
        foreach (var show in Shows)
        {
            shows.Options.Add((null, show));
        }

        return form.ToElement();
    }

    // An empty list is read as no condition, not as "never": a client that sends the form back with the field left
    // empty has not asked to stop notifications (pubsub#deliver says that).
    private static List<string>? ParseShows(List<string> values)
    {
        var shows = new List<string>();
        foreach (var value in values)
        {
            if (Array.IndexOf(Shows, value) < 0)
            {
                throw Invalid($"'{value}' is not a presence show");
            }

            if (!shows.Contains(value, StringComparer.Ordinal))
            {
                shows.Add(value);
            }
        }

        return shows.Count == 0 ? null : shows;
    }

    private static bool ParseBool(string name, string value) => value switch
    {
        // XEP-0004 §3.3: boolean fields take 0/1 and false/true.
        "1" or "true" => true,
        "0" or "false" => false,
        _ => throw Invalid($"{name} must be a boolean, not '{value}'"),
    };

    private static StanzaErrorException Invalid(string text) =>
        PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-options", text);
}
