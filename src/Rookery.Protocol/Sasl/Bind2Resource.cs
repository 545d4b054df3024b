using System.Security.Cryptography;
using System.Text;
using Rookery.Protocol.Addressing;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// Generates the resource of a Bind 2 session (XEP-0386 §3.2.1): <c>[tag]/[id]</c>, the client's tag as the prefix
/// when it is a valid resourcepart. The id is stable for the same account, tag and SASL2 user-agent id, so a client
/// that reconnects gets its old full JID back (and the old session is replaced, with <c>conflict</c>, as the XEP
/// asks); without a user-agent id it is random. The id is a hash, never the user-agent id itself, which the XEP says
/// must not be exposed, and it is computed from the request alone so every cluster node derives the same one.
/// </summary>
public static class Bind2Resource
{
    // A tag is a short software name; a long one would only make every full JID of the session longer.
    private const int MaxTagLength = 64;
    private const int IdBytes = 9; // 72 bits: base64url without padding, 12 characters

    /// <summary>The resource for <paramref name="account"/> given the request's tag and the user-agent id.</summary>
    public static string Create(Jid account, string? tag, string? userAgentId)
    {
        ArgumentNullException.ThrowIfNull(account);
        var id = userAgentId is null ? RandomNumberGenerator.GetBytes(IdBytes) : StableId(account, tag, userAgentId);
        var suffix = Convert.ToBase64String(id).Replace('+', '-').Replace('/', '_');
        if (tag is null || tag.Length > MaxTagLength)
        {
            return suffix;
        }

        var candidate = tag + "/" + suffix;
        try
        {
            // The tag goes in as-is only when it survives resourcepart preparation (RFC 7622 §3.4); otherwise no prefix.
            return account.WithResource(candidate).Resource!;
        }
        catch (FormatException)
        {
            return suffix;
        }
    }

    private static byte[] StableId(Jid account, string? tag, string userAgentId)
    {
        // Separated by NUL, which none of the parts can contain, so different triples never hash alike by concatenation.
        var input = Encoding.UTF8.GetBytes(account.Bare.ToString() + "\0" + (tag ?? string.Empty) + "\0" + userAgentId);
        return SHA256.HashData(input).AsSpan(0, IdBytes).ToArray();
    }
}
