using System.Buffers;
using System.Text;

namespace Rookery.Protocol.Xml;

/// <summary>Character classes of XML 1.0 (Fifth Edition) and Namespaces in XML 1.0, over UTF-8 bytes.</summary>
internal static class XmlChars
{
    private const byte NameStartFlag = 1;
    private const byte NameFlag = 2;

    /// <summary>The longest entity or character reference accepted, from '&amp;' to ';' inclusive.</summary>
    public const int MaxReferenceLength = 32;

    /// <summary>XML white space (production S).</summary>
    public static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>Bytes that end a literal run in character data: references, line ends, ']' (for "]]&gt;") and forbidden C0 controls.</summary>
    public static readonly SearchValues<byte> TextSpecials = SearchValues.Create(WithControls("&\r]"u8));

    /// <summary>Bytes that end a literal run in an attribute value: references, '&lt;', white space to normalise, forbidden C0 controls.</summary>
    public static readonly SearchValues<byte> AttributeSpecials = SearchValues.Create(WithControls("&<\t\n\r"u8));

    /// <summary>Bytes that end a literal run in a CDATA section: line ends and forbidden C0 controls.</summary>
    public static readonly SearchValues<byte> CDataSpecials = SearchValues.Create(WithControls("\r"u8));

    /// <summary>Bytes the start-tag scanner stops at outside attribute values.</summary>
    public static readonly SearchValues<byte> TagScan = SearchValues.Create("<>'\""u8);

    private static readonly byte[] AsciiFlags = BuildAsciiFlags();

    // U+FFFE and U+FFFF are not XML characters; in UTF-8 they are EF BF BE and EF BF BF.
    private static ReadOnlySpan<byte> NonCharacterLead => [0xEF, 0xBF];

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    /// <summary>Char production of XML 1.0 §2.2.</summary>
    public static bool IsXmlChar(int c) =>
        c is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);

    /// <summary>True when valid UTF-8 contains U+FFFE or U+FFFF.</summary>
    public static bool ContainsNonCharacter(ReadOnlySpan<byte> utf8)
    {
        int i;
        while ((i = utf8.IndexOf(NonCharacterLead)) >= 0)
        {
            if (i + 2 < utf8.Length && utf8[i + 2] is 0xBE or 0xBF)
            {
                return true;
            }

            utf8 = utf8[(i + 2)..];
        }

        return false;
    }

    /// <summary>
    /// Scans a QName (Namespaces in XML §4) starting at <paramref name="start"/> and returns the index just past it;
    /// <paramref name="colon"/> is the index of its single colon, or -1. Stops at the first byte that cannot continue a name,
    /// which the caller then checks; throws on an empty or malformed name.
    /// </summary>
    public static int ScanQName(ReadOnlySpan<byte> s, int start, out int colon)
    {
        colon = -1;
        var i = start;
        var needStart = true;
        while (i < s.Length)
        {
            var b = s[i];
            if (b < 0x80)
            {
                if (b == (byte)':')
                {
                    if (needStart || colon >= 0)
                    {
                        XmlThrow.NotWellFormed("malformed qualified name");
                    }

                    colon = i++;
                    needStart = true; // the local part is an NCName: it must start with a NameStartChar
                    continue;
                }

                if ((AsciiFlags[b] & (needStart ? NameStartFlag : NameFlag)) == 0)
                {
                    break;
                }

                i++;
            }
            else
            {
                if (Rune.DecodeFromUtf8(s[i..], out var rune, out var n) != OperationStatus.Done)
                {
                    XmlThrow.NotWellFormed("invalid UTF-8 in a name");
                }

                if (!(needStart ? IsNameStartChar(rune.Value) : IsNameChar(rune.Value)))
                {
                    break;
                }

                i += n;
            }

            needStart = false;
        }

        if (needStart)
        {
            XmlThrow.NotWellFormed(i == start ? "expected a name" : "malformed qualified name");
        }

        return i;
    }

    /// <summary>NameStartChar of XML 1.0 §2.3 for non-ASCII code points.</summary>
    private static bool IsNameStartChar(int c) =>
        c is (>= 0xC0 and <= 0xD6) or (>= 0xD8 and <= 0xF6) or (>= 0xF8 and <= 0x2FF) or (>= 0x370 and <= 0x37D)
            or (>= 0x37F and <= 0x1FFF) or (>= 0x200C and <= 0x200D) or (>= 0x2070 and <= 0x218F)
            or (>= 0x2C00 and <= 0x2FEF) or (>= 0x3001 and <= 0xD7FF) or (>= 0xF900 and <= 0xFDCF)
            or (>= 0xFDF0 and <= 0xFFFD) or (>= 0x10000 and <= 0xEFFFF);

    /// <summary>NameChar of XML 1.0 §2.3 for non-ASCII code points.</summary>
    private static bool IsNameChar(int c) =>
        IsNameStartChar(c) || c is 0xB7 or (>= 0x300 and <= 0x36F) or (>= 0x203F and <= 0x2040);

    private static byte[] BuildAsciiFlags()
    {
        var flags = new byte[128];
        for (var c = 'a'; c <= 'z'; c++)
        {
            flags[c] = NameStartFlag | NameFlag;
            flags[char.ToUpperInvariant(c)] = NameStartFlag | NameFlag;
        }

        flags['_'] = NameStartFlag | NameFlag;
        for (var c = '0'; c <= '9'; c++)
        {
            flags[c] = NameFlag;
        }

        flags['-'] = NameFlag;
        flags['.'] = NameFlag;
        return flags;
    }

    private static byte[] WithControls(ReadOnlySpan<byte> extra)
    {
        // Char (XML 1.0 §2.2) excludes every C0 control but tab, line feed and carriage return.
        var list = new List<byte>(32 + extra.Length);
        for (var b = 0; b < 0x20; b++)
        {
            if (b is not (0x9 or 0xA or 0xD))
            {
                list.Add((byte)b);
            }
        }

        foreach (var b in extra)
        {
            list.Add(b);
        }

        return [.. list];
    }
}
