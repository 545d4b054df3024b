using System.Text;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// The XEP-0474 (SASL SCRAM Downgrade Protection, 0.5.0) hash: the server puts it into server-first-message as the
/// optional attribute <c>h</c>, where the client proof signs it, so that a man in the middle who strips mechanisms or
/// channel-binding types from the stream features is caught by a client that recomputes it from what it was shown.
/// </summary>
public static class ScramDowngradeProtection
{
    /// <summary>The server-first-message attribute that carries the hash (XEP-0474 §6.1; 'd' in drafts before 0.3.0).</summary>
    public const char Attribute = 'h';

    private const char ItemDelimiter = '\u001E';
    private const char ListDelimiter = '\u001F';

    /// <summary>
    /// XEP-0474 §6.1: the advertised mechanism names sorted by octets and joined by %x1E; then, only when channel-binding
    /// types were advertised (XEP-0440), %x1F and those types sorted and joined the same way; hashed with the hash of the
    /// SCRAM mechanism in use and encoded in base64. <paramref name="channelBindingTypes"/> is null when no
    /// <c>&lt;sasl-channel-binding/&gt;</c> was sent. The mechanisms must be those of the SASL profile (RFC 6120 or
    /// XEP-0388) the client authenticates with.
    /// </summary>
    public static string Compute(ScramHash hash, IEnumerable<string> mechanisms, IEnumerable<string>? channelBindingTypes)
    {
        ArgumentNullException.ThrowIfNull(mechanisms);
        var s = new StringBuilder();
        s.AppendJoin(ItemDelimiter, Sorted(mechanisms));
        if (channelBindingTypes is not null)
        {
            s.Append(ListDelimiter).AppendJoin(ItemDelimiter, Sorted(channelBindingTypes));
        }

        // Mechanism and binding type names are ASCII (RFC 4422 §3.1, RFC 5056 §7), so the octets are these characters.
        var input = Encoding.ASCII.GetBytes(s.ToString());
        Span<byte> digest = stackalloc byte[hash.HashSize()];
        hash.Hash(input, digest);
        return Convert.ToBase64String(digest);
    }

    // "i;octet" collation (RFC 4790 §9.3) on ASCII names is ordinal comparison.
    private static IEnumerable<string> Sorted(IEnumerable<string> names) => names.Order(StringComparer.Ordinal);
}
