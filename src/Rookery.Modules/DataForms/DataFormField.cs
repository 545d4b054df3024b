namespace Rookery.Modules.DataForms;

/// <summary>One field of a data form (XEP-0004 §3.2): its name, type, label, values and, for list fields, options.</summary>
public sealed class DataFormField
{
    /// <summary>Creates a field named <paramref name="var"/> (null only for a <c>fixed</c> field).</summary>
    public DataFormField(string? var, string? type = null)
    {
        Var = var;
        Type = type;
    }

    /// <summary>The field's name (<c>var</c>), which identifies it in a submission; null for a fixed text line.</summary>
    public string? Var { get; }

    /// <summary>The field type (XEP-0004 §3.3), for example <c>jid-single</c>; null means text-single.</summary>
    public string? Type { get; }

    /// <summary>The human-readable label.</summary>
    public string? Label { get; set; }

    /// <summary>A longer description shown as help.</summary>
    public string? Description { get; set; }

    /// <summary>True when the form may not be submitted without a value for this field.</summary>
    public bool Required { get; set; }

    /// <summary>The field's values, in order.</summary>
    public List<string> Values { get; } = [];

    /// <summary>The choices of a list field: a label and the value submitted when it is chosen.</summary>
    public List<(string? Label, string Value)> Options { get; } = [];
}
