using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rookery.Protocol.Addressing.Unicode;

namespace Rookery.Protocol.Addressing;

/// <summary>
/// Prepares and enforces the three JID parts (RFC 7622 §3.2–3.4). Each method returns the normalised part or null
/// with the reason in <c>error</c>; the input instance is returned unchanged when it is already canonical, so
/// parsing canonical ASCII allocates nothing beyond the part strings.
/// </summary>
/// <remarks>
/// PRECIS coverage: localpart = UsernameCaseMapped (RFC 8265 §3.3) with width mapping, lower-casing by
/// <see cref="string.ToLowerInvariant"/> (simple case mapping, not full Unicode case folding: "ß" stays "ß"), NFC,
/// and an IdentifierClass check approximated by general categories (letters, marks, digits, ASCII printables;
/// compatibility characters rejected); the bidi rule is not applied. Resourcepart = OpaqueString (RFC 8265 §4.2):
/// non-ASCII spaces mapped to U+0020, NFC, controls/format/unassigned/noncharacters/lone surrogates rejected.
/// Domainpart: A-labels converted to U-labels, lower-cased, NFC, each label checked by IdnMapping (STD3 rules).
/// </remarks>
internal static class JidPrep
{
    public const int MaxPartBytes = 1023;

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    public static string? PrepareLocal(string input, out string? error)
    {
        error = null;
        if (input.Length == 0)
        {
            error = "the localpart is empty";
            return null;
        }

        var result = input;
        var ascii = true;
        var upper = false;
        foreach (var c in input)
        {
            if (c >= 0x80)
            {
                ascii = false;
                break;
            }

            upper |= char.IsAsciiLetterUpper(c);
        }

        if (ascii)
        {
            if (upper)
            {
                result = input.ToLowerInvariant();
            }
        }
        else
        {
            if (HasLoneSurrogate(input))
            {
                error = "the localpart contains an unpaired surrogate";
                return null;
            }

            // RFC 8265 §3.3.2: width mapping, case mapping, then NFC.
            result = UnicodeNormalizer.ToNfc(UnicodeNormalizer.MapWidth(input).ToLowerInvariant());

            // IdentifierClass disallows compatibility-equivalent characters (RFC 8264 §9.17 HasCompat).
            if (!string.Equals(UnicodeNormalizer.ToNfkc(result), result, StringComparison.Ordinal))
            {
                error = "the localpart contains a compatibility character";
                return null;
            }
        }

        foreach (var rune in result.EnumerateRunes())
        {
            if (!IsLocalChar(rune))
            {
                error = $"the localpart contains the forbidden character U+{rune.Value:X4}";
                return null;
            }
        }

        return CheckLength(result, "localpart", ref error);
    }

    public static string? PrepareResource(string input, out string? error)
    {
        error = null;
        if (input.Length == 0)
        {
            error = "the resourcepart is empty";
            return null;
        }

        var result = input;
        var ascii = true;
        foreach (var c in input)
        {
            if (c >= 0x80)
            {
                ascii = false;
            }
            else if (c < 0x20 || c == 0x7F)
            {
                error = "the resourcepart contains a control character";
                return null;
            }
        }

        if (!ascii)
        {
            if (HasLoneSurrogate(input))
            {
                error = "the resourcepart contains an unpaired surrogate";
                return null;
            }

            // OpaqueString (RFC 8265 §4.2.1): non-ASCII spaces map to U+0020, then NFC.
            StringBuilder? sb = null;
            for (var i = 0; i < input.Length; i++)
            {
                var c = input[i];
                if (c >= 0x80 && char.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator)
                {
                    sb ??= new StringBuilder(input, 0, i, input.Length);
                    sb.Append(' ');
                }
                else
                {
                    sb?.Append(c);
                }
            }

            result = UnicodeNormalizer.ToNfc(sb?.ToString() ?? input);
            foreach (var rune in result.EnumerateRunes())
            {
                if (!IsResourceChar(rune))
                {
                    error = $"the resourcepart contains the forbidden character U+{rune.Value:X4}";
                    return null;
                }
            }
        }

        return CheckLength(result, "resourcepart", ref error);
    }

    public static string? PrepareDomain(string input, out string? error)
    {
        error = null;

        // RFC 7622 §3.2: a trailing label separator is stripped before any other processing.
        var domain = input.Length > 1 && input[^1] == '.' ? input[..^1] : input;
        if (domain.Length == 0)
        {
            error = "the domainpart is empty";
            return null;
        }

        if (domain[0] == '[')
        {
            return PrepareIpv6(domain, ref error);
        }

        if (IsCanonicalAsciiHost(domain))
        {
            return CheckLength(domain, "domainpart", ref error);
        }

        if (HasLoneSurrogate(domain))
        {
            error = "the domainpart contains an unpaired surrogate";
            return null;
        }

        try
        {
            // IDNA2008 mappings (RFC 5895): ideographic full stops separate labels; width and case are folded.
            var mapped = UnicodeNormalizer.MapWidth(domain).Replace('\u3002', '.').ToLowerInvariant();
            mapped = UnicodeNormalizer.ToNfc(mapped);
            if (mapped.Length > 1 && mapped[^1] == '.')
            {
                mapped = mapped[..^1];
            }

            // Validates every label (STD3 rules, 1..63 octets); A-labels become U-labels so both spellings compare equal.
            var ace = Idn.GetAscii(mapped);
            if (ace.Contains("xn--", StringComparison.Ordinal))
            {
                mapped = UnicodeNormalizer.ToNfc(Idn.GetUnicode(ace).ToLowerInvariant());
                _ = Idn.GetAscii(mapped);
            }

            return CheckLength(string.Equals(mapped, domain, StringComparison.Ordinal) ? domain : mapped, "domainpart", ref error);
        }
        catch (ArgumentException e)
        {
            error = "the domainpart is not a valid host name: " + e.Message;
            return null;
        }
    }

    private static string? PrepareIpv6(string domain, ref string? error)
    {
        // RFC 7622 §3.2: IP-literal = "[" IPv6address "]" (RFC 3986); zone identifiers are not allowed.
        if (domain[^1] != ']' || domain.Contains('%', StringComparison.Ordinal)
            || !IPAddress.TryParse(domain.AsSpan(1, domain.Length - 2), out var address)
            || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            error = "the domainpart is not a valid IPv6 literal";
            return null;
        }

        var canonical = "[" + address.ToString() + "]";
        return string.Equals(canonical, domain, StringComparison.Ordinal) ? domain : canonical;
    }

    // Lower-case LDH labels of 1..63 characters without leading or trailing hyphens (covers IPv4 literals too).
    // "xn--" labels take the slow path so they are converted to U-labels.
    private static bool IsCanonicalAsciiHost(string domain)
    {
        var labelStart = 0;
        for (var i = 0; i <= domain.Length; i++)
        {
            if (i == domain.Length || domain[i] == '.')
            {
                var length = i - labelStart;
                if (length is 0 or > 63 || domain[labelStart] == '-' || domain[i - 1] == '-'
                    || (length >= 4 && domain[labelStart + 2] == '-' && domain[labelStart + 3] == '-'))
                {
                    return false;
                }

                labelStart = i + 1;
                continue;
            }

            var c = domain[i];
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    // RFC 7622 §3.3.1: IdentifierClass minus the characters that would break JID syntax or XML.
    private static bool IsLocalChar(Rune rune)
    {
        var cp = rune.Value;
        if (cp < 0x80)
        {
            return cp is > 0x20 and < 0x7F and not ('"' or '&' or '\'' or '/' or ':' or '<' or '>' or '@');
        }

        // LetterDigits (RFC 8264 §9.1): Ll, Lu, Lo, Nd, Lm, Mn, Mc. Everything else non-ASCII (spaces, symbols,
        // punctuation, controls, format, unassigned, titlecase, Nl/No) is disallowed.
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.LowercaseLetter or UnicodeCategory.UppercaseLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ModifierLetter
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark => !IsNonCharacter(cp),
            _ => false,
        };
    }

    // FreeformClass (RFC 8264 §4.3) approximated by general category: no controls, format (ignorable) characters,
    // unassigned code points, surrogates or noncharacters.
    private static bool IsResourceChar(Rune rune) =>
        !IsNonCharacter(rune.Value) && Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.Surrogate or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };

    private static bool IsNonCharacter(int cp) => (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static string? CheckLength(string part, string name, ref string? error)
    {
        // RFC 7622 §3.1: each part is at most 1023 octets once encoded as UTF-8.
        if (part.Length > MaxPartBytes / 3 && Encoding.UTF8.GetByteCount(part) > MaxPartBytes)
        {
            error = $"the {name} is longer than {MaxPartBytes} octets";
            return null;
        }

        return part;
    }
}
