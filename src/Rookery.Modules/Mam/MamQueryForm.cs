using System.Globalization;
using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Mam;

/// <summary>
/// The data form (XEP-0004) of an archive query (XEP-0313 §4.1): <c>with</c>, <c>start</c>, <c>end</c> and the
/// extended <c>before-id</c>, <c>after-id</c> and <c>ids</c>; and the blank form a client may ask for first (§4.1.5).
/// </summary>
/// <param name="With">Only messages with this JID (a bare JID matches all its resources).</param>
/// <param name="Start">Only messages stamped at or after this instant.</param>
/// <param name="End">Only messages stamped at or before this instant.</param>
/// <param name="AfterId">Only messages after this archive id.</param>
/// <param name="BeforeId">Only messages before this archive id.</param>
/// <param name="Ids">Only these archive ids, or null.</param>
internal sealed record MamQueryForm(Jid? With, DateTimeOffset? Start, DateTimeOffset? End, string? AfterId, string? BeforeId, IReadOnlyList<string>? Ids)
{
    /// <summary>The data forms namespace.</summary>
    public const string DataFormsNamespace = DataForm.Namespace;

    /// <summary>The data form validation namespace (XEP-0122).</summary>
    public const string ValidateNamespace = "http://jabber.org/protocol/xdata-validate";

    /// <summary>A query with no form: the whole archive.</summary>
    public static MamQueryForm Empty { get; } = new(null, null, null, null, null, null);

    /// <summary>
    /// Reads the submitted form of a query (null when the query has none). A field this server does not know is
    /// feature-not-implemented (§4.1.5); a value that cannot be read is bad-request or jid-malformed.
    /// </summary>
    public static MamQueryForm Parse(Element? form)
    {
        if (form is null)
        {
            return Empty;
        }

        Jid? with = null;
        DateTimeOffset? start = null, end = null;
        string? afterId = null, beforeId = null;
        List<string>? ids = null;
        foreach (var field in DataForm.Parse(form).Fields)
        {
            var name = field.Var;
            var values = field.Values;
            switch (name)
            {
                case "FORM_TYPE":
                    if (values.Count != 1 || values[0] != MamModule.Namespace)
                    {
                        throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"FORM_TYPE must be {MamModule.Namespace}");
                    }

                    break;
                case "with":
                    if (Single(name, values) is { } jid)
                    {
                        with = Jid.TryParse(jid, out var parsed)
                            ? parsed
                            : throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, "The 'with' field is not a JID");
                    }

                    break;
                case "start":
                    start = Stamp(name, Single(name, values));
                    break;
                case "end":
                    end = Stamp(name, Single(name, values));
                    break;
                case "after-id":
                    afterId = Single(name, values);
                    break;
                case "before-id":
                    beforeId = Single(name, values);
                    break;
                case "ids":
                    if (values.Count > 0)
                    {
                        ids = values;
                    }

                    break;
                default:
                    // §4.1.5: a field the server does not recognise.
                    throw new StanzaErrorException(StanzaErrorCondition.FeatureNotImplemented, $"The field '{name}' is not supported");
            }
        }

        return new MamQueryForm(with, start, end, afterId, beforeId, ids);
    }

    /// <summary>The blank query form with every field this server supports (§4.1.5).</summary>
    public static Element Blank()
    {
        var form = new Element("x", DataFormsNamespace).SetAttribute("type", "form");
        form.AddChild("field").SetAttribute("type", "hidden").SetAttribute("var", "FORM_TYPE").AddChild("value").AddText(MamModule.Namespace);
        form.AddChild("field").SetAttribute("type", "jid-single").SetAttribute("var", "with");
        form.AddChild("field").SetAttribute("type", "text-single").SetAttribute("var", "start");
        form.AddChild("field").SetAttribute("type", "text-single").SetAttribute("var", "end");
        form.AddChild("field").SetAttribute("type", "text-single").SetAttribute("var", "before-id");
        form.AddChild("field").SetAttribute("type", "text-single").SetAttribute("var", "after-id");
        // §4.1.5: 'ids' lists no options, and says with an open validation that any value goes.
        form.AddChild("field").SetAttribute("type", "list-multi").SetAttribute("var", "ids")
            .AddChild("validate", ValidateNamespace).SetAttribute("datatype", "xs:string")
            .AddChild("open");
        return form;
    }

    /// <summary>The value of a single-value field, or null when it has none (an empty field filters nothing).</summary>
    private static string? Single(string name, List<string> values) => values.Count switch
    {
        0 => null,
        1 => values[0].Length == 0 ? null : values[0],
        _ => throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The field '{name}' takes one value"),
    };

    /// <summary>A XEP-0082 DateTime: <c>CCYY-MM-DDThh:mm:ss[.sss]TZD</c>, where the zone is required.</summary>
    private static DateTimeOffset? Stamp(string name, string? value)
    {
        if (value is null)
        {
            return null;
        }

        var hasZone = value.EndsWith('Z') || (value.Length > 6 && value[^6] is '+' or '-' && value[^3] == ':');
        if (!hasZone || !DateTimeOffset.TryParseExact(
                value,
                ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
                CultureInfo.InvariantCulture,
                DateTimeStyles.None,
                out var stamp))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The field '{name}' is not a XEP-0082 date and time such as 2025-01-31T12:00:00Z");
        }

        return stamp;
    }
}
