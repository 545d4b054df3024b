using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Rookery.Protocol.Addressing;

namespace Rookery.Modules.Proxy65;

/// <summary>
/// The name both parties of a mediated bytestream give the proxy in their SOCKS5 CONNECT (XEP-0065 §5.3.2):
/// SHA1(SID + Requester JID + Target JID) as 40 lower-case hexadecimal characters.
/// </summary>
public static class StreamHash
{
    /// <summary>The length of a hash in characters (and in bytes on the wire).</summary>
    public const int Length = 40;

    /// <summary>
    /// The hash of a bytestream. The JIDs are the prepped ones of the IQ exchange (XEP-0065 §5.3.2: stringprep is applied
    /// before hashing), which <see cref="Jid"/> holds already.
    /// </summary>
    [SuppressMessage("Security", "CA5350", Justification = "XEP-0065 §5.3.2 fixes SHA-1 for the stream name; the wire protocol offers no other hash.")]
    public static string Compute(string sid, Jid requester, Jid target)
    {
        ArgumentNullException.ThrowIfNull(sid);
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(target);
        var digest = SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sid, requester.ToString(), target.ToString())));
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>
    /// Reads a hash from a CONNECT request's DOMAINNAME: exactly 40 hexadecimal characters. Upper-case digits are accepted
    /// and lowered, so that both parties' connections meet whatever case their client wrote.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> address, out string hash)
    {
        hash = string.Empty;
        if (address.Length != Length)
        {
            return false;
        }

        Span<char> text = stackalloc char[Length];
        for (var i = 0; i < Length; i++)
        {
            var c = (char)address[i];
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }

            text[i] = char.ToLowerInvariant(c);
        }

        hash = new string(text);
        return true;
    }
}
