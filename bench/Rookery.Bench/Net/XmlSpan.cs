using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Rookery.Bench.Net;

/// <summary>
/// Allocation-free lookups in one serialised element (as <see cref="XmlFramer"/> returns it): its local name, an
/// attribute of its start tag, and the text of a descendant. Enough for the stanzas a load generator needs to read;
/// values are raw (entities are not expanded) unless a method says otherwise.
/// </summary>
internal static class XmlSpan
{
    private static readonly SearchValues<byte> TagEndOrQuote = SearchValues.Create(">'\""u8);
    private static readonly SearchValues<byte> NameEnd = SearchValues.Create(" \t\r\n/>"u8);

    /// <summary>The index of the '&gt;' that ends the tag whose name starts at <paramref name="from"/>; -1 when incomplete.</summary>
    public static int FindTagEnd(ReadOnlySpan<byte> buffer, int from)
    {
        var i = from;
        while (true)
        {
            var k = buffer[i..].IndexOfAny(TagEndOrQuote);
            if (k < 0)
            {
                return -1;
            }

            var at = i + k;
            var c = buffer[at];
            if (c == (byte)'>')
            {
                return at;
            }

            // An attribute value: '>' is allowed inside it, so jump to the matching quote.
            var close = buffer[(at + 1)..].IndexOf(c);
            if (close < 0)
            {
                return -1;
            }

            i = at + 1 + close + 1;
        }
    }

    /// <summary>The element's name without a namespace prefix (<c>stream:features</c> gives <c>features</c>).</summary>
    public static ReadOnlySpan<byte> LocalName(ReadOnlySpan<byte> element) => LocalNameAt(element, 0);

    /// <summary>True when the element's local name is <paramref name="name"/>.</summary>
    public static bool IsNamed(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name) => LocalName(element).SequenceEqual(name);

    /// <summary>Finds attribute <paramref name="name"/> on the element's start tag; the value is raw (not unescaped).</summary>
    public static bool TryGetAttribute(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (element.Length < 2 || element[0] != (byte)'<')
        {
            return false;
        }

        var i = 1;
        var nameEnd = element[i..].IndexOfAny(NameEnd);
        if (nameEnd < 0)
        {
            return false;
        }

        i += nameEnd;
        while (i < element.Length)
        {
            while (i < element.Length && IsSpace(element[i]))
            {
                i++;
            }

            if (i >= element.Length || element[i] is (byte)'/' or (byte)'>')
            {
                return false;
            }

            var eq = element[i..].IndexOf((byte)'=');
            if (eq < 0)
            {
                return false;
            }

            var attrName = element.Slice(i, eq).TrimEnd(" \t\r\n"u8);
            i += eq + 1;
            while (i < element.Length && IsSpace(element[i]))
            {
                i++;
            }

            if (i >= element.Length || element[i] is not ((byte)'\'' or (byte)'"'))
            {
                return false;
            }

            var quote = element[i];
            var close = element[(i + 1)..].IndexOf(quote);
            if (close < 0)
            {
                return false;
            }

            if (attrName.SequenceEqual(name))
            {
                value = element.Slice(i + 1, close);
                return true;
            }

            i += close + 2;
        }

        return false;
    }

    /// <summary>
    /// Finds the first descendant start tag named <paramref name="localName"/> at or after <paramref name="from"/>
    /// (skipping the element's own start tag when <paramref name="from"/> is 0); returns its index or -1.
    /// </summary>
    public static int FindDescendant(ReadOnlySpan<byte> element, ReadOnlySpan<byte> localName, int from = 0)
    {
        var i = from == 0 ? 1 : from;
        while (i < element.Length)
        {
            var lt = element[i..].IndexOf((byte)'<');
            if (lt < 0 || i + lt + 1 >= element.Length)
            {
                return -1;
            }

            var p = i + lt;
            var c = element[p + 1];
            if (c is not ((byte)'/' or (byte)'!' or (byte)'?') && LocalNameAt(element, p).SequenceEqual(localName))
            {
                return p;
            }

            i = p + 1;
        }

        return -1;
    }

    /// <summary>The raw text directly after the start tag at <paramref name="tagStart"/>, up to the next tag.</summary>
    public static ReadOnlySpan<byte> TextAt(ReadOnlySpan<byte> element, int tagStart)
    {
        var gt = FindTagEnd(element, tagStart + 1);
        if (gt < 0 || element[gt - 1] == (byte)'/')
        {
            return default;
        }

        var text = element[(gt + 1)..];
        var lt = text.IndexOf((byte)'<');
        return lt < 0 ? text : text[..lt];
    }

    /// <summary>True when the element has a descendant named <paramref name="localName"/>.</summary>
    public static bool HasDescendant(ReadOnlySpan<byte> element, ReadOnlySpan<byte> localName) => FindDescendant(element, localName) >= 0;

    /// <summary>The unescaped text of the first descendant named <paramref name="localName"/>, or null.</summary>
    public static string? DescendantText(ReadOnlySpan<byte> element, ReadOnlySpan<byte> localName)
    {
        var at = FindDescendant(element, localName);
        return at < 0 ? null : Unescape(TextAt(element, at));
    }

    /// <summary>The unescaped texts of every descendant named <paramref name="localName"/> (for the mechanism list).</summary>
    public static List<string> DescendantTexts(ReadOnlySpan<byte> element, ReadOnlySpan<byte> localName)
    {
        var list = new List<string>();
        var at = FindDescendant(element, localName);
        while (at >= 0)
        {
            list.Add(Unescape(TextAt(element, at)));
            at = FindDescendant(element, localName, at + 1);
        }

        return list;
    }

    /// <summary>The unescaped value of attribute <paramref name="name"/>, or null.</summary>
    public static string? Attribute(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name) =>
        TryGetAttribute(element, name, out var v) ? Unescape(v) : null;

    /// <summary>The local name of the first child of a stanza error or stream error that is not <c>text</c>.</summary>
    public static string ErrorCondition(ReadOnlySpan<byte> element)
    {
        var errorAt = IsNamed(element, "error"u8) ? 0 : FindDescendant(element, "error"u8);
        if (errorAt < 0)
        {
            return "unknown";
        }

        var i = errorAt + 1;
        while (true)
        {
            var lt = element[i..].IndexOf((byte)'<');
            if (lt < 0 || i + lt + 1 >= element.Length)
            {
                return "unknown";
            }

            var p = i + lt;
            if (element[p + 1] is not ((byte)'/' or (byte)'!' or (byte)'?'))
            {
                var name = LocalNameAt(element, p);
                if (!name.SequenceEqual("text"u8))
                {
                    return Encoding.UTF8.GetString(name);
                }
            }

            i = p + 1;
        }
    }

    /// <summary>Parses a run of ASCII digits as a non-negative integer; false on anything else.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> digits, out long value) =>
        Utf8Parser.TryParse(digits, out value, out var used) && used == digits.Length && value >= 0;

    /// <summary>Decodes UTF-8 and expands the five predefined entities and character references.</summary>
    public static string Unescape(ReadOnlySpan<byte> raw)
    {
        var s = Encoding.UTF8.GetString(raw);
        if (!s.Contains('&', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '&')
            {
                sb.Append(s[i]);
                continue;
            }

            var semi = s.IndexOf(';', i);
            if (semi < 0)
            {
                sb.Append(s, i, s.Length - i);
                break;
            }

            var entity = s.AsSpan(i + 1, semi - i - 1);
            switch (entity)
            {
                case "amp": sb.Append('&'); break;
                case "lt": sb.Append('<'); break;
                case "gt": sb.Append('>'); break;
                case "apos": sb.Append('\''); break;
                case "quot": sb.Append('"'); break;
                default:
                    if (entity.Length > 1 && entity[0] == '#')
                    {
                        var code = entity[1] == 'x'
                            ? int.Parse(entity[2..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture)
                            : int.Parse(entity[1..], System.Globalization.CultureInfo.InvariantCulture);
                        sb.Append(char.ConvertFromUtf32(code));
                    }
                    else
                    {
                        sb.Append(s, i, semi - i + 1);
                    }

                    break;
            }

            i = semi;
        }

        return sb.ToString();
    }

    /// <summary>Escapes text for an attribute value or element content.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.AsSpan().IndexOfAny("&<>'\"") < 0)
        {
            return text;
        }

        return text.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("'", "&apos;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal);
    }

    private static ReadOnlySpan<byte> LocalNameAt(ReadOnlySpan<byte> element, int tagStart)
    {
        if (tagStart + 1 >= element.Length)
        {
            return default;
        }

        var name = element[(tagStart + 1)..];
        if (!name.IsEmpty && name[0] == (byte)'/')
        {
            name = name[1..]; // an end tag
        }

        var end = name.IndexOfAny(NameEnd);
        if (end >= 0)
        {
            name = name[..end];
        }

        var colon = name.IndexOf((byte)':');
        return colon < 0 ? name : name[(colon + 1)..];
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
