using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Rookery.Bench.Net;

/// <summary>
/// The client side of SCRAM-SHA-1/256/512 without channel binding (RFC 5802 §3, RFC 7677): client-first, client-final
/// with proof, and verification of the server signature. User names are escaped ('=' and ','), not SASLprepped: the
/// bench's generated names are ASCII.
/// </summary>
[SuppressMessage("Security", "CA5350", Justification = "SCRAM-SHA-1 is defined with SHA-1; the bench must speak it to servers that offer only it.")]
internal sealed class ScramClient
{
    private const string Gs2Header = "n,,";
    private readonly HashAlgorithmName _hash;
    private readonly string _password;
    private readonly ScramKeyCache _cache;
    private readonly string _clientFirstBare;
    private readonly string _nonce;
    private byte[]? _expectedServerSignature;

    /// <summary>Starts an exchange for <paramref name="mechanism"/> (SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512).</summary>
    public ScramClient(string mechanism, string user, string password, ScramKeyCache cache)
    {
        ArgumentNullException.ThrowIfNull(user);
        _hash = HashFor(mechanism) ?? throw new ArgumentException($"{mechanism} is not a SCRAM mechanism", nameof(mechanism));
        _password = password;
        _cache = cache;
        _nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _clientFirstBare = "n=" + user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal) + ",r=" + _nonce;
    }

    /// <summary>The hash of a SCRAM mechanism name, or null when it is not one the bench speaks.</summary>
    public static HashAlgorithmName? HashFor(string mechanism) => mechanism switch
    {
        "SCRAM-SHA-1" => HashAlgorithmName.SHA1,
        "SCRAM-SHA-256" => HashAlgorithmName.SHA256,
        "SCRAM-SHA-512" => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <summary>The client-first message.</summary>
    public byte[] ClientFirst() => Encoding.UTF8.GetBytes(Gs2Header + _clientFirstBare);

    /// <summary>The client-final message for the server-first message <paramref name="serverFirst"/>.</summary>
    public byte[] ClientFinal(byte[] serverFirst)
    {
        var text = Encoding.UTF8.GetString(serverFirst);
        string? nonce = null, salt = null, iterations = null;
        foreach (var part in text.Split(','))
        {
            if (part.Length < 2 || part[1] != '=')
            {
                continue;
            }

            switch (part[0])
            {
                case 'r': nonce = part[2..]; break;
                case 's': salt = part[2..]; break;
                case 'i': iterations = part[2..]; break;
            }
        }

        if (nonce is null || salt is null || iterations is null || !nonce.StartsWith(_nonce, StringComparison.Ordinal))
        {
            throw new XmppLoginException("bad-server-first", "The server-first SCRAM message is malformed or does not extend our nonce");
        }

        var keys = _cache.GetOrDerive(_hash, _password, Convert.FromBase64String(salt), int.Parse(iterations, System.Globalization.CultureInfo.InvariantCulture));
        var withoutProof = "c=" + Convert.ToBase64String(Encoding.ASCII.GetBytes(Gs2Header)) + ",r=" + nonce;
        var authMessage = Encoding.UTF8.GetBytes(_clientFirstBare + "," + text + "," + withoutProof);
        var signature = Hmac(_hash, keys.StoredKey, authMessage);
        var proof = new byte[signature.Length];
        for (var i = 0; i < proof.Length; i++)
        {
            proof[i] = (byte)(keys.ClientKey[i] ^ signature[i]);
        }

        _expectedServerSignature = Hmac(_hash, keys.ServerKey, authMessage);
        return Encoding.UTF8.GetBytes(withoutProof + ",p=" + Convert.ToBase64String(proof));
    }

    /// <summary>True when the server-final message carries the signature we expect (the server knows the keys).</summary>
    public bool VerifyServerFinal(byte[] serverFinal)
    {
        var text = Encoding.UTF8.GetString(serverFinal);
        return _expectedServerSignature is not null
            && text.StartsWith("v=", StringComparison.Ordinal)
            && text[2..] == Convert.ToBase64String(_expectedServerSignature);
    }

    /// <summary>The digest size of <paramref name="hash"/> in bytes.</summary>
    internal static int HashSize(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA1 ? 20 : hash == HashAlgorithmName.SHA256 ? 32 : 64;

    /// <summary>HMAC with <paramref name="hash"/>.</summary>
    internal static byte[] Hmac(HashAlgorithmName hash, byte[] key, ReadOnlySpan<byte> data) =>
        hash == HashAlgorithmName.SHA1 ? HMACSHA1.HashData(key, data)
        : hash == HashAlgorithmName.SHA256 ? HMACSHA256.HashData(key, data)
        : HMACSHA512.HashData(key, data);

    /// <summary>The digest of <paramref name="data"/> with <paramref name="hash"/>.</summary>
    internal static byte[] Hash(HashAlgorithmName hash, byte[] data) =>
        hash == HashAlgorithmName.SHA1 ? SHA1.HashData(data)
        : hash == HashAlgorithmName.SHA256 ? SHA256.HashData(data)
        : SHA512.HashData(data);
}
