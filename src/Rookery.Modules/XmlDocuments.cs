using System.Text;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;

namespace Rookery.Modules;

/// <summary>Turns elements users ask the server to keep (vCards, private XML) into stored text and back.</summary>
internal static class XmlDocuments
{
    /// <summary>
    /// The element as XML text, checked to be at most <paramref name="maxBytes"/> UTF-8 bytes and to read back as the same
    /// element; otherwise a <c>not-acceptable</c> stanza error.
    /// </summary>
    public static string Serialize(Element element, int maxBytes)
    {
        var xml = ElementWriter.ToXmlString(element, Ns.Client);
        if (Encoding.UTF8.GetByteCount(xml) > maxBytes)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"The data is larger than {maxBytes} bytes");
        }

        // Whatever is stored must be given back: check that the text parses as one element before keeping it, so
        // that a writer or model gap can never turn a user's data into something unreadable.
        try
        {
            StoredStanza.Parse(xml);
        }
        catch (FormatException)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "The data cannot be stored in a form that reads back");
        }

        return xml;
    }

    /// <summary>Reads back an element stored by <see cref="Serialize"/>.</summary>
    /// <exception cref="FormatException">The stored text is not one well-formed element.</exception>
    public static Element Parse(string xml) => StoredStanza.Parse(xml);

    /// <summary>True for an element with neither attributes nor content, which the XEPs treat as "no data".</summary>
    public static bool IsEmpty(Element element) => !element.HasNodes && element.Attributes.Count == 0;

    /// <summary>The storage key of an element: its name and namespace in Clark notation, <c>{namespace}name</c>.</summary>
    public static string Key(Element element) => "{" + element.Namespace + "}" + element.Name;
}
