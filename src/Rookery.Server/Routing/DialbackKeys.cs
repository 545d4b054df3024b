using System.Security.Cryptography;
using System.Text;

namespace Rookery.Server.Routing;

/// <summary>
/// Generates and checks Server Dialback keys (XEP-0220 §2.1.1) as XEP-0185 §3 recommends:
/// <c>HMAC-SHA256(hex(SHA-256(secret)), receiving + ' ' + originating + ' ' + stream id)</c> in lower-case hex. Every node
/// of a cluster derives the same secret, so any of them can answer a <c>db:verify</c> for a key another one generated.
/// </summary>
public sealed class DialbackKeys
{
    private readonly byte[] _hmacKey;

    /// <summary>Creates the generator from the shared secret.</summary>
    public DialbackKeys(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        // XEP-0185 §3: the HMAC key is the hex form of the secret's SHA-256.
        _hmacKey = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))));
    }

    /// <summary>The secret to use: the configured one, else one derived from the cluster secret, else a random one.</summary>
    public static string ChooseSecret(string configured, string? clusterSecret) =>
        !string.IsNullOrEmpty(configured) ? configured
        : !string.IsNullOrEmpty(clusterSecret) ? "rookery-dialback:" + clusterSecret
        : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key the originating server sends in <c>db:result</c> for a stream with <paramref name="streamId"/>.</summary>
    public string Generate(string receiving, string originating, string streamId)
    {
        var data = Encoding.UTF8.GetBytes(receiving + " " + originating + " " + streamId);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_hmacKey, data));
    }

    /// <summary>Checks a key in constant time (XEP-0220 §2.1.3, the authoritative server's answer to <c>db:verify</c>).</summary>
    public bool Verify(string receiving, string originating, string streamId, string key)
    {
        var expected = Encoding.ASCII.GetBytes(Generate(receiving, originating, streamId));
        var given = Encoding.UTF8.GetBytes(key.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
