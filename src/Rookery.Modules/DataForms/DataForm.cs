using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.DataForms;

/// <summary>
/// A data form (XEP-0004): what a server sends (type form or result) and reads back (type submit or cancel). Modules
/// that take forms (message archive queries, ad-hoc commands, publish options) read and write them through this type.
/// </summary>
public sealed class DataForm
{
    /// <summary>The data forms namespace.</summary>
    public const string Namespace = "jabber:x:data";

    /// <summary>The name of the hidden field that says which kind of form this is (XEP-0068).</summary>
    public const string FormTypeField = "FORM_TYPE";

    /// <summary>Creates an empty form of a type: <c>form</c>, <c>submit</c>, <c>cancel</c> or <c>result</c>.</summary>
    public DataForm(string type)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        Type = type;
    }

    /// <summary>The form type (XEP-0004 §3.1).</summary>
    public string Type { get; }

    /// <summary>The form's title, or null.</summary>
    public string? Title { get; set; }

    /// <summary>Instructions shown above the fields, or null.</summary>
    public string? Instructions { get; set; }

    /// <summary>The fields, in order.</summary>
    public List<DataFormField> Fields { get; } = [];

    /// <summary>
    /// Elements of other namespaces written after the fields, which XEP-0004 §3.1 allows: XEP-0133 §4.8 returns a user's
    /// roster as a <c>jabber:iq:roster</c> query inside the result form.
    /// </summary>
    public List<Element> Payloads { get; } = [];

    /// <summary>Between the values of a multi-valued field stored as one text (a value itself never holds a line feed).</summary>
    public const char StoredValueSeparator = '\n';

    /// <summary>
    /// A submit form rebuilt from fields stored as text, field name → value, for a configuration to be read back through
    /// the same code that checks a submitted form; the value of <paramref name="listField"/> holds several values joined by
    /// <see cref="StoredValueSeparator"/>.
    /// </summary>
    public static DataForm FromStored(IReadOnlyDictionary<string, string> stored, string listField)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var form = new DataForm("submit");
        foreach (var (name, value) in stored)
        {
            var field = form.AddField(name);
            if (name == listField)
            {
                field.Values.AddRange(value.Split(StoredValueSeparator, StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                field.Values.Add(value);
            }
        }

        return form;
    }

    /// <summary>The value of the FORM_TYPE field, or null when the form has none.</summary>
    public string? FormType => Find(FormTypeField) is { Values: [var value, ..] } ? value : null;

    /// <summary>Adds the hidden FORM_TYPE field that names the kind of form (XEP-0068 §3).</summary>
    public DataForm WithFormType(string formType)
    {
        AddField(FormTypeField, "hidden").Values.Add(formType);
        return this;
    }

    /// <summary>Adds a field and returns it for its label, values and options.</summary>
    public DataFormField AddField(string? var, string? type = null, string? label = null, bool required = false)
    {
        var field = new DataFormField(var, type) { Label = label, Required = required };
        Fields.Add(field);
        return field;
    }

    /// <summary>The first field named <paramref name="var"/>, or null.</summary>
    public DataFormField? Find(string var)
    {
        foreach (var field in Fields)
        {
            if (field.Var == var)
            {
                return field;
            }
        }

        return null;
    }

    /// <summary>The values of a field; empty when the field is absent.</summary>
    public IReadOnlyList<string> Values(string var) => Find(var)?.Values ?? [];

    /// <summary>
    /// The value of a single-value field, or null when the field is absent or empty; more than one value is
    /// bad-request (XEP-0004 §3.3: only the -multi types and jid-multi carry several).
    /// </summary>
    public string? Value(string var)
    {
        var values = Values(var);
        return values.Count switch
        {
            0 => null,
            1 => values[0].Length == 0 ? null : values[0],
            _ => throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The field '{var}' takes one value"),
        };
    }

    /// <summary>
    /// Reads a form element. An element that is not a <c>&lt;x xmlns='jabber:x:data'/&gt;</c> with a type is
    /// bad-request; fields keep their values in order, and elements this type does not model are skipped.
    /// </summary>
    public static DataForm Parse(Element x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Name != "x" || x.Namespace != Namespace || x.GetAttribute("type") is not { Length: > 0 } type)
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Expected a data form with a type");
        }

        var form = new DataForm(type)
        {
            Title = x.ChildText("title", Namespace),
            Instructions = x.ChildText("instructions", Namespace),
        };
        foreach (var child in x.Elements())
        {
            if (child.Name != "field" || child.Namespace != Namespace)
            {
                continue;
            }

            var field = form.AddField(child.GetAttribute("var"), child.GetAttribute("type"), child.GetAttribute("label"), child.Child("required", Namespace) is not null);
            foreach (var value in child.Elements())
            {
                if (value.Name == "value" && value.Namespace == Namespace)
                {
                    field.Values.Add(value.Text);
                }
            }
        }

        return form;
    }

    /// <summary>Writes the form as an <c>&lt;x xmlns='jabber:x:data'/&gt;</c> element.</summary>
    public Element ToElement()
    {
        var x = new Element("x", Namespace).SetAttribute("type", Type);
        if (Title is not null)
        {
            x.AddChild("title").AddText(Title);
        }

        if (Instructions is not null)
        {
            x.AddChild("instructions").AddText(Instructions);
        }

        foreach (var field in Fields)
        {
            var f = x.AddChild("field").SetAttribute("var", field.Var).SetAttribute("type", field.Type).SetAttribute("label", field.Label);
            if (field.Description is not null)
            {
                f.AddChild("desc").AddText(field.Description);
            }

            if (field.Required)
            {
                f.AddChild("required");
            }

            foreach (var value in field.Values)
            {
                f.AddChild("value").AddText(value);
            }

            foreach (var (label, value) in field.Options)
            {
                f.AddChild("option").SetAttribute("label", label).AddChild("value").AddText(value);
            }
        }

        foreach (var payload in Payloads)
        {
            x.Add(payload.Clone());
        }

        return x;
    }
}
