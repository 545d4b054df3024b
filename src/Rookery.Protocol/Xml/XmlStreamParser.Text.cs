using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Rookery.Protocol.Xml;

/// <content>Decoding of character data and attribute values: strict UTF-8, references, line-end normalisation.</content>
public sealed partial class XmlStreamParser
{
    private enum DecodeMode : byte
    {
        Text,
        Attribute,
        CData,
    }

    /// <summary>Decodes an attribute value (without its quotes) to a string; namespace URIs are interned.</summary>
    private string DecodeAttributeValue(ReadOnlySpan<byte> raw, bool intern)
    {
        if (raw.IndexOfAny(XmlChars.AttributeSpecials) < 0)
        {
            // Fast path, the common case: no references and nothing to normalise.
            if (raw.IsEmpty)
            {
                return string.Empty;
            }

            if (!Utf8.IsValid(raw))
            {
                XmlThrow.NotWellFormed("invalid UTF-8");
            }

            if (XmlChars.ContainsNonCharacter(raw))
            {
                XmlThrow.NotWellFormed("character not allowed in XML");
            }

            return intern ? _names.Get(raw) : NameTable.GetWellKnown(raw) ?? Encoding.UTF8.GetString(raw);
        }

        var scratch = Work.Scratch;
        scratch.Clear();
        AppendDecoded(scratch, raw, DecodeMode.Attribute);
        var value = scratch.ToString();
        scratch.Clear();
        return value;
    }

    /// <summary>
    /// Appends decoded character data to <paramref name="output"/>: strict UTF-8, only XML 1.0 characters, the five predefined
    /// entities and character references (not in CDATA), CRLF and CR to LF (XML 1.0 §2.11), and in attribute values every
    /// literal white space character to a space (XML 1.0 §3.3.3).
    /// </summary>
    private static void AppendDecoded(CharBuffer output, ReadOnlySpan<byte> src, DecodeMode mode)
    {
        var specials = mode switch
        {
            DecodeMode.Text => XmlChars.TextSpecials,
            DecodeMode.Attribute => XmlChars.AttributeSpecials,
            _ => XmlChars.CDataSpecials,
        };

        while (!src.IsEmpty)
        {
            var i = src.IndexOfAny(specials);
            if (i != 0)
            {
                AppendUtf8(output, i < 0 ? src : src[..i]);
                if (i < 0)
                {
                    return;
                }
            }

            var b = src[i];
            switch (b)
            {
                case (byte)'&':
                    i += AppendReference(output, src[i..]);
                    break;
                case (byte)'\r':
                    output.Append(mode == DecodeMode.Attribute ? ' ' : '\n');
                    i += i + 1 < src.Length && src[i + 1] == (byte)'\n' ? 2 : 1;
                    break;
                case (byte)'\n' or (byte)'\t':
                    output.Append(' '); // attribute values only: text and CDATA do not stop here
                    i++;
                    break;
                case (byte)']':
                    // CharData ::= [^<&]* - ([^<&]* ']]>' [^<&]*)
                    if (src[i..].StartsWith("]]>"u8))
                    {
                        XmlThrow.NotWellFormed("']]>' is not allowed in text");
                    }

                    output.Append(']');
                    i++;
                    break;
                case (byte)'<':
                    XmlThrow.NotWellFormed("'<' is not allowed in an attribute value");
                    break;
                default:
                    XmlThrow.NotWellFormed("control character not allowed in XML");
                    break;
            }

            src = src[i..];
        }
    }

    private static void AppendUtf8(CharBuffer output, ReadOnlySpan<byte> run)
    {
        // UTF-16 never needs more code units than UTF-8 needs bytes.
        var destination = output.GetSpan(run.Length);
        var status = Utf8.ToUtf16(run, destination, out _, out var written, replaceInvalidSequences: false, isFinalBlock: true);
        if (status != OperationStatus.Done)
        {
            XmlThrow.NotWellFormed("invalid UTF-8");
        }

        // Fewer chars than bytes means non-ASCII input, which might hold U+FFFE or U+FFFF (not XML characters).
        if (written != run.Length && destination[..written].IndexOfAnyInRange('\uFFFE', '\uFFFF') >= 0)
        {
            XmlThrow.NotWellFormed("character not allowed in XML");
        }

        output.Advance(written);
    }

    /// <summary>Decodes the reference at the start of <paramref name="src"/> and returns its length in bytes.</summary>
    private static int AppendReference(CharBuffer output, ReadOnlySpan<byte> src)
    {
        var semicolon = src[..Math.Min(src.Length, XmlChars.MaxReferenceLength)].IndexOf((byte)';');
        if (semicolon < 0)
        {
            XmlThrow.NotWellFormed("unterminated or overlong reference");
        }

        var body = src[1..semicolon];
        if (body.IsEmpty)
        {
            XmlThrow.NotWellFormed("empty reference");
        }

        if (body[0] == (byte)'#')
        {
            output.Append(new Rune(ParseCharacterReference(body[1..])));
            return semicolon + 1;
        }

        char c;
        if (body.SequenceEqual("lt"u8))
        {
            c = '<';
        }
        else if (body.SequenceEqual("gt"u8))
        {
            c = '>';
        }
        else if (body.SequenceEqual("amp"u8))
        {
            c = '&';
        }
        else if (body.SequenceEqual("quot"u8))
        {
            c = '"';
        }
        else if (body.SequenceEqual("apos"u8))
        {
            c = '\'';
        }
        else
        {
            // A syntactically valid reference to an undeclared entity would need a DTD: RFC 6120 §11.1 restricted-xml.
            if (XmlChars.ScanQName(body, 0, out _) == body.Length)
            {
                XmlThrow.Restricted("entity references other than the predefined ones are not allowed");
            }

            XmlThrow.NotWellFormed("malformed entity reference");
            return 0;
        }

        output.Append(c);
        return semicolon + 1;
    }

    /// <summary>Parses the digits of <c>&amp;#NN;</c> or <c>&amp;#xHH;</c> (XML 1.0 §4.1) into a code point that is a legal XML Char.</summary>
    private static int ParseCharacterReference(ReadOnlySpan<byte> digits)
    {
        var hex = !digits.IsEmpty && digits[0] == (byte)'x';
        if (hex)
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty)
        {
            XmlThrow.NotWellFormed("malformed character reference");
        }

        var value = 0;
        foreach (var d in digits)
        {
            int digit;
            if (d is >= (byte)'0' and <= (byte)'9')
            {
                digit = d - '0';
            }
            else if (hex && (d | 0x20) is >= 'a' and <= 'f')
            {
                digit = (d | 0x20) - 'a' + 10;
            }
            else
            {
                XmlThrow.NotWellFormed("malformed character reference");
                return 0;
            }

            value = (value * (hex ? 16 : 10)) + digit;
            if (value > 0x10FFFF)
            {
                XmlThrow.NotWellFormed("character reference out of range");
            }
        }

        if (!XmlChars.IsXmlChar(value))
        {
            XmlThrow.NotWellFormed("character reference to a character not allowed in XML");
        }

        return value;
    }
}
