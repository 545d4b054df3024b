using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Rookery.Modules.Disco;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Caps;

/// <summary>
/// The verification string of entity capabilities (XEP-0115 §5.1) computed from a disco#info answer, with the checks
/// of §5.4 that make an answer unusable for verification.
/// </summary>
public static class CapsHash
{
    /// <summary>
    /// Computes the <c>ver</c> of a disco#info <c>&lt;query/&gt;</c> with the named algorithm (its IANA name, as in the
    /// caps element's <c>hash</c> attribute). Returns null for an algorithm this server does not support or for an
    /// answer that §5.4 calls ill-formed (repeated identities, features or form types).
    /// </summary>
    public static string? Compute(Element query, string algorithm)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(algorithm);
        if (!IsSupported(algorithm))
        {
            return null;
        }

        var input = VerificationString(query);
        return input is null ? null : Hash(algorithm, input);
    }

    /// <summary>True for the hash functions this server can check (XEP-0115 §5.1 step 7 names SHA-1 as mandatory).</summary>
    public static bool IsSupported(string algorithm) => algorithm is "sha-1" or "sha-256" or "sha-512";

    /// <summary>The string S of XEP-0115 §5.1 steps 1–6, or null when §5.4 calls the answer ill-formed.</summary>
    public static string? VerificationString(Element query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var identities = new List<string>();
        var features = new List<string>();
        var forms = new List<(string FormType, string Text)>();
        foreach (var child in query.Elements())
        {
            if (child.Namespace != DiscoModule.InfoNamespace && child.Namespace != DiscoModule.DataFormsNamespace)
            {
                continue;
            }

            switch (child.Name)
            {
                case "identity" when child.Namespace == DiscoModule.InfoNamespace:
                    identities.Add(string.Concat(
                        child.GetAttribute("category") ?? string.Empty, "/",
                        child.GetAttribute("type") ?? string.Empty, "/",
                        child.GetAttribute("xml:lang") ?? string.Empty, "/",
                        child.GetAttribute("name") ?? string.Empty));
                    break;
                case "feature" when child.Namespace == DiscoModule.InfoNamespace:
                    features.Add(child.GetAttribute("var") ?? string.Empty);
                    break;
                case "x" when child.Namespace == DiscoModule.DataFormsNamespace:
                    switch (FormText(child, out var formType, out var text))
                    {
                        case FormState.IllFormed:
                            return null;
                        case FormState.Usable:
                            forms.Add((formType!, text!));
                            break;
                    }

                    break;
            }
        }

        // §5.4 steps 3.4–3.6: repeated identities, features or form types make the whole answer ill-formed.
        identities.Sort(StringComparer.Ordinal);
        features.Sort(StringComparer.Ordinal);
        forms.Sort((a, b) => string.CompareOrdinal(a.FormType, b.FormType));
        if (HasAdjacentDuplicates(identities) || HasAdjacentDuplicates(features))
        {
            return null;
        }

        for (var i = 1; i < forms.Count; i++)
        {
            if (forms[i].FormType == forms[i - 1].FormType)
            {
                return null;
            }
        }

        var s = new StringBuilder();
        foreach (var identity in identities)
        {
            s.Append(identity).Append('<');
        }

        foreach (var feature in features)
        {
            s.Append(feature).Append('<');
        }

        foreach (var (_, text) in forms)
        {
            s.Append(text);
        }

        return s.ToString();
    }

    private enum FormState
    {
        Usable,
        Ignored,
        IllFormed,
    }

    /// <summary>§5.1 step 5 for one extended form: its FORM_TYPE, then each field's var and sorted values.</summary>
    private static FormState FormText(Element form, out string? formType, out string? text)
    {
        formType = null;
        text = null;
        var fields = new List<(string Var, List<string> Values)>();
        foreach (var field in form.Elements())
        {
            if (field.Name != "field" || field.Namespace != DiscoModule.DataFormsNamespace)
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

            var name = field.GetAttribute("var") ?? string.Empty;
            if (name == "FORM_TYPE")
            {
                // §5.4 step 3.6: a FORM_TYPE with differing values makes the answer ill-formed; step 3.7: one that is
                // not hidden, or missing, leaves the form out.
                if (values.Count == 0 || values.Exists(v => v != values[0]))
                {
                    return FormState.IllFormed;
                }

                if (field.GetAttribute("type") != "hidden" || formType is not null)
                {
                    return FormState.Ignored;
                }

                formType = values[0];
                continue;
            }

            values.Sort(StringComparer.Ordinal);
            fields.Add((name, values));
        }

        if (formType is null)
        {
            return FormState.Ignored;
        }

        fields.Sort((a, b) => string.CompareOrdinal(a.Var, b.Var));
        var s = new StringBuilder(formType).Append('<');
        foreach (var (name, values) in fields)
        {
            s.Append(name).Append('<');
            foreach (var value in values)
            {
                s.Append(value).Append('<');
            }
        }

        text = s.ToString();
        return FormState.Usable;
    }

    private static bool HasAdjacentDuplicates(List<string> sorted)
    {
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i] == sorted[i - 1])
            {
                return true;
            }
        }

        return false;
    }

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "XEP-0115 §5.1 mandates SHA-1; the hash names a feature set, it protects nothing.")]
    private static string Hash(string algorithm, string input)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        var digest = algorithm switch
        {
            "sha-1" => SHA1.HashData(bytes),
            "sha-256" => SHA256.HashData(bytes),
            _ => SHA512.HashData(bytes),
        };
        return Convert.ToBase64String(digest);
    }
}
