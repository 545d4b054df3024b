using System.Security.Cryptography;
using System.Text;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// The HT-SHA-256 SASL mechanisms of FAST (XEP-0484; draft-schmaus-kitten-sasl-ht): one message each way. The client
/// sends <c>authcid NUL HMAC-SHA-256(token, "Initiator" || cb-data)</c>; the server answers, with its success,
/// <c>HMAC-SHA-256(token, "Responder" || cb-data)</c>. The suffix names the channel binding whose data is cb-data
/// (<c>NONE</c>: none, empty cb-data).
/// </summary>
public static class HashedTokenMechanism
{
    /// <summary>The mechanism without channel binding.</summary>
    public const string None = "HT-SHA-256-NONE";

    /// <summary>The mechanism bound to <c>tls-unique</c> (RFC 5929 §3).</summary>
    public const string Unique = "HT-SHA-256-UNIQ";

    /// <summary>The mechanism bound to <c>tls-server-end-point</c> (RFC 5929 §4).</summary>
    public const string EndPoint = "HT-SHA-256-ENDP";

    /// <summary>The mechanism bound to <c>tls-exporter</c> (RFC 9266).</summary>
    public const string Exporter = "HT-SHA-256-EXPR";

    private const int ProofBytes = 32; // HMAC-SHA-256
    private const int MaxAuthcidBytes = 255; // as for PLAIN (RFC 4616 §2)
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when <paramref name="mechanism"/> is one of the HT-SHA-256 mechanisms.</summary>
    public static bool IsHashedToken(string mechanism) => mechanism is None or Unique or EndPoint or Exporter;

    /// <summary>The channel binding type a mechanism uses; null for <see cref="None"/>.</summary>
    public static string? ChannelBindingType(string mechanism) => mechanism switch
    {
        Unique => ChannelBinding.TlsUniqueType,
        EndPoint => ChannelBinding.TlsServerEndPointType,
        Exporter => ChannelBinding.TlsExporterType,
        _ => null,
    };

    /// <summary>The mechanism bound to channel binding <paramref name="type"/>, or null when none is defined for it.</summary>
    public static string? ForChannelBinding(string type) => type switch
    {
        ChannelBinding.TlsUniqueType => Unique,
        ChannelBinding.TlsServerEndPointType => EndPoint,
        ChannelBinding.TlsExporterType => Exporter,
        _ => null,
    };

    /// <summary>
    /// Splits the client's message into the authentication identity and its proof. Throws <see cref="SaslException"/>
    /// with <see cref="SaslFailure.MalformedRequest"/> when the NUL, the identity or a 32-byte proof is missing.
    /// </summary>
    public static (string Authcid, byte[] Proof) ParseInitial(ReadOnlySpan<byte> message)
    {
        var nul = message.IndexOf((byte)0);
        if (nul <= 0 || nul > MaxAuthcidBytes)
        {
            return SaslException.Throw<(string, byte[])>(SaslFailure.MalformedRequest, "HT message has no authcid or no NUL separator.");
        }

        var proof = message[(nul + 1)..];
        if (proof.Length != ProofBytes)
        {
            return SaslException.Throw<(string, byte[])>(SaslFailure.MalformedRequest, "HT proof is not an HMAC-SHA-256.");
        }

        try
        {
            return (StrictUtf8.GetString(message[..nul]), proof.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return SaslException.Throw<(string, byte[])>(SaslFailure.MalformedRequest, "HT authcid is not UTF-8.");
        }
    }

    /// <summary>The client's proof for <paramref name="token"/> and channel binding data <paramref name="cbData"/>.</summary>
    public static byte[] Initiator(string token, ReadOnlySpan<byte> cbData) => Hmac(token, "Initiator"u8, cbData);

    /// <summary>The server's answer, proving to the client that the server knows the token too.</summary>
    public static byte[] Responder(string token, ReadOnlySpan<byte> cbData) => Hmac(token, "Responder"u8, cbData);

    /// <summary>True when <paramref name="proof"/> is the client's proof for this token; compared in constant time (XEP-0484 §7).</summary>
    public static bool Verify(string token, ReadOnlySpan<byte> cbData, ReadOnlySpan<byte> proof) =>
        CryptographicOperations.FixedTimeEquals(Initiator(token, cbData), proof);

    private static byte[] Hmac(string token, ReadOnlySpan<byte> label, ReadOnlySpan<byte> cbData)
    {
        ArgumentNullException.ThrowIfNull(token);
        var data = new byte[label.Length + cbData.Length];
        label.CopyTo(data);
        cbData.CopyTo(data.AsSpan(label.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), data);
    }
}
