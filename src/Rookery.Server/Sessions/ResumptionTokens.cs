using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Rookery.Server.Sessions;

/// <summary>
/// Issues and checks stream management resumption ids (XEP-0198 §5 <c>&lt;enabled id=...&gt;</c>) that name the node
/// owning the session, so that any node of a cluster can tell where to resume it, and that nobody without the key can
/// forge or guess: <c>base64url(version | node id | 16 random bytes | HMAC-SHA256(key, the former)[..16])</c>.
/// The key is random per process on a single node; in a cluster it is derived from the cluster secret.
/// </summary>
public sealed class ResumptionTokens
{
    private const byte Version = 1;
    private const int NodeBytes = 8;
    private const int RandomBytes = 16;
    private const int MacBytes = 16;
    private const int BodyBytes = 1 + NodeBytes + RandomBytes;
    private const int TokenBytes = BodyBytes + MacBytes;
    private static readonly byte[] KeyLabel = Encoding.ASCII.GetBytes("rookery-sm-resumption-v1");

    private volatile byte[] _key = RandomNumberGenerator.GetBytes(32);
    private Func<long> _nodeId = static () => 0;

    /// <summary>The id of the node that issues tokens now (0 on a single node).</summary>
    public long NodeId => _nodeId();

    /// <summary>
    /// Switches to the cluster's key (derived from the shared <paramref name="secret"/> with HKDF, so tokens of every node
    /// verify everywhere and the secret itself is never used as a MAC key) and to the cluster node id.
    /// </summary>
    public void UseCluster(string secret, Func<long> nodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(nodeId);
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, salt: null, info: KeyLabel);
        _nodeId = nodeId;
    }

    /// <summary>A fresh token naming this node.</summary>
    public string Create()
    {
        Span<byte> token = stackalloc byte[TokenBytes];
        token[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(token[1..], NodeId);
        RandomNumberGenerator.Fill(token.Slice(1 + NodeBytes, RandomBytes));
        Mac(_key, token[..BodyBytes], token[BodyBytes..]);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>
    /// Checks a token's form and MAC and reads the node it names. False for anything this cluster did not issue
    /// (garbage, a truncated or altered token, a token MACed with another key).
    /// </summary>
    public bool TryRead(string? token, out long nodeId)
    {
        nodeId = 0;
        Span<byte> bytes = stackalloc byte[TokenBytes + 3];
        // IsValid first: TryDecodeFromChars throws on characters outside the alphabet, and a client's input must not.
        if (token is null || token.Length > 64 || !Base64Url.IsValid(token, out var length) || length != TokenBytes ||
            !Base64Url.TryDecodeFromChars(token, bytes, out var written) || written != TokenBytes || bytes[0] != Version)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[MacBytes];
        Mac(_key, bytes[..BodyBytes], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes.Slice(BodyBytes, MacBytes)))
        {
            return false;
        }

        nodeId = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        return true;
    }

    private static void Mac(byte[] key, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, body, full);
        full[..MacBytes].CopyTo(destination);
    }
}
