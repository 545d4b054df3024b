using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>Builds and reads XEP-0004 data forms, as the room configuration, information and registration forms use them.</summary>
internal static class DataForm
{
    /// <summary>A new form of <paramref name="type"/> (form, result, submit) with a hidden FORM_TYPE.</summary>
    public static Element Create(string type, string formType, string? title = null)
    {
        var x = new Element("x", MucNs.DataForms).SetAttribute("type", type);
        if (title is not null)
        {
            x.AddChild("title").AddText(title);
        }

        x.AddChild("field").SetAttribute("var", "FORM_TYPE").SetAttribute("type", "hidden").AddChild("value").AddText(formType);
        return x;
    }

    /// <summary>Adds a field with its values and, for list fields, its options (label, value).</summary>
    public static Element Field(Element form, string var, string type, string? label, IEnumerable<string> values, IEnumerable<(string Label, string Value)>? options = null)
    {
        var field = form.AddChild("field").SetAttribute("var", var).SetAttribute("type", type).SetAttribute("label", label);
        foreach (var value in values)
        {
            field.AddChild("value").AddText(value);
        }

        if (options is not null)
        {
            foreach (var (optionLabel, value) in options)
            {
                field.AddChild("option").SetAttribute("label", optionLabel).AddChild("value").AddText(value);
            }
        }

        return field;
    }

    /// <summary>Adds a field with one value.</summary>
    public static Element Field(Element form, string var, string type, string? label, string value) => Field(form, var, type, label, [value]);

    /// <summary>Adds a boolean field.</summary>
    public static Element Field(Element form, string var, string? label, bool value) => Field(form, var, "boolean", label, [value ? "1" : "0"]);

    /// <summary>The values of each submitted field, by var; checks the FORM_TYPE when the form has one.</summary>
    public static Dictionary<string, List<string>> Read(Element form, string formType)
    {
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var field in form.Elements())
        {
            if (field.Name != "field" || field.GetAttribute("var") is not { } var)
            {
                continue;
            }

            var values = new List<string>();
            foreach (var v in field.Elements())
            {
                if (v.Name == "value")
                {
                    values.Add(v.Text);
                }
            }

            fields[var] = values;
        }

        if (fields.TryGetValue("FORM_TYPE", out var type) && (type.Count != 1 || type[0] != formType))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The form is not a {formType} form");
        }

        return fields;
    }

    /// <summary>XEP-0004 §3.3: a boolean is 1/true or 0/false.</summary>
    public static bool ParseBoolean(string var, List<string> values) => values switch
    {
        ["1" or "true"] => true,
        ["0" or "false"] or [] => false,
        _ => throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Field '{var}' must be a boolean"),
    };

    /// <summary>The single value of a text field ("" when empty).</summary>
    public static string Single(string var, List<string> values) => values switch
    {
        [] => string.Empty,
        [var v] => v,
        _ => throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Field '{var}' takes one value"),
    };
}
