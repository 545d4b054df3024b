using System.Text;
using Rookery.Protocol.Addressing.Unicode;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// SASLprep (RFC 4013) for passwords. Implemented: mapping (B.1 to nothing, C.1.2 to SPACE), NFKC, and the
/// prohibited tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9. Not implemented: the RFC 3454 §6 bidi
/// rule and rejecting unassigned code points, so a few strings that strict SASLprep refuses are accepted here; this
/// never changes the result for strings it accepts.
/// </summary>
internal static class SaslPrep
{
    public static bool TryPrepare(string input, out string prepared, out string? why)
    {
        prepared = input;
        why = null;
        if (input.Length == 0)
        {
            why = "empty";
            return false;
        }

        if (Ascii.IsValid(input))
        {
            // Fast path: printable ASCII needs no mapping or normalisation.
            foreach (var c in input)
            {
                if (c < 0x20 || c == 0x7F)
                {
                    why = "contains a control character";
                    return false;
                }
            }

            return true;
        }

        var sb = new StringBuilder(input.Length);
        foreach (var rune in input.EnumerateRunes())
        {
            var cp = rune.Value;
            if (IsMappedToNothing(cp))
            {
                continue;
            }

            if (IsNonAsciiSpace(cp))
            {
                sb.Append(' ');
                continue;
            }

            sb.Append(rune.ToString());
        }

        // EnumerateRunes replaces lone surrogates (C.5) with U+FFFD; detect them on the input instead.
        if (HasLoneSurrogate(input))
        {
            why = "contains an unpaired surrogate";
            return false;
        }

        var normalised = UnicodeNormalizer.ToNfkc(sb.ToString());
        foreach (var rune in normalised.EnumerateRunes())
        {
            if (IsProhibited(rune.Value))
            {
                why = $"contains prohibited character U+{rune.Value:X4}";
                return false;
            }
        }

        if (normalised.Length == 0)
        {
            why = "empty after mapping";
            return false;
        }

        prepared = normalised;
        return true;
    }

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

    // RFC 3454 B.1: commonly mapped to nothing.
    private static bool IsMappedToNothing(int cp) =>
        cp is 0x00AD or 0x034F or 0x1806 or (>= 0x180B and <= 0x180D) or (>= 0x200B and <= 0x200D) or 0x2060
            or (>= 0xFE00 and <= 0xFE0F) or 0xFEFF;

    // RFC 3454 C.1.2: non-ASCII space characters.
    private static bool IsNonAsciiSpace(int cp) =>
        cp is 0x00A0 or 0x1680 or (>= 0x2000 and <= 0x200B) or 0x202F or 0x205F or 0x3000;

    private static bool IsProhibited(int cp) =>
        IsNonAsciiSpace(cp)
        // C.2.1 ASCII controls
        || cp < 0x20 || cp == 0x7F
        // C.2.2 non-ASCII controls
        || (cp >= 0x80 && cp <= 0x9F) || cp is 0x06DD or 0x070F or 0x180E or 0x200C or 0x200D or 0x2028 or 0x2029
        || (cp >= 0x2060 && cp <= 0x2063) || (cp >= 0x206A && cp <= 0x206F) || cp == 0xFEFF
        || (cp >= 0xFFF9 && cp <= 0xFFFC) || (cp >= 0x1D173 && cp <= 0x1D17A)
        // C.3 private use
        || (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000
        // C.4 non-characters
        || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE
        // C.6 inappropriate for plain text, C.7 for canonical representation
        || (cp >= 0xFFF9 && cp <= 0xFFFD) || (cp >= 0x2FF0 && cp <= 0x2FFB)
        // C.8 change display properties or deprecated
        || cp is 0x0340 or 0x0341 or 0x200E or 0x200F || (cp >= 0x202A && cp <= 0x202E)
        // C.9 tagging characters
        || cp == 0xE0001 || (cp >= 0xE0020 && cp <= 0xE007F);
}
