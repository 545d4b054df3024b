using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// A Bind 2 request (XEP-0386 §3.2) carried inside SASL2 <c>&lt;authenticate/&gt;</c>: an optional client tag for the
/// generated resource, and the session features the client asks to have enabled at once (stream management, carbons,
/// client state), each as the element that feature's own protocol would use.
/// </summary>
public sealed class Bind2Request
{
    /// <summary>The XEP-0386 namespace.</summary>
    public const string Namespace = "urn:xmpp:bind:0";

    private readonly List<Element> _features;

    private Bind2Request(string? tag, List<Element> features)
    {
        Tag = tag;
        _features = features;
    }

    /// <summary>The client's <c>&lt;tag/&gt;</c> (its software's short name), or null.</summary>
    public string? Tag { get; }

    /// <summary>The inline feature requests: every child not in the Bind 2 namespace.</summary>
    public IReadOnlyList<Element> Features => _features;

    /// <summary>The inline request <c>&lt;name xmlns=ns/&gt;</c>, or null when the client did not ask for it.</summary>
    public Element? Find(string name, string ns)
    {
        foreach (var feature in _features)
        {
            if (feature.Name == name && feature.Namespace == ns)
            {
                return feature;
            }
        }

        return null;
    }

    /// <summary>Reads a <c>&lt;bind xmlns='urn:xmpp:bind:0'/&gt;</c> request element.</summary>
    public static Bind2Request Parse(Element bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        string? tag = null;
        var features = new List<Element>();
        foreach (var child in bind.Elements())
        {
            if (child.Namespace != Namespace)
            {
                features.Add(child);
            }
            else if (child.Name == "tag")
            {
                var text = child.Text.Trim();
                tag = text.Length == 0 ? null : text;
            }
        }

        return new Bind2Request(tag, features);
    }
}
