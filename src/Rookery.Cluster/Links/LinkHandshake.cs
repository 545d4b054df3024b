using System.Security.Cryptography;
using System.Text;

namespace Rookery.Cluster.Links;

/// <summary>
/// The link handshake's messages and proof. Both sides send <c>HELLO(protocol, min protocol, node id, name, nonce)</c>;
/// then each proves knowledge of the cluster secret with <c>AUTH(HMAC-SHA256(secret, "rookery-link-v1" | own HELLO |
/// peer HELLO))</c>. The secret never crosses the wire; the fresh nonces make every proof single-use, and putting the
/// sender's own HELLO first means a proof cannot be reflected back to its author. Binding both HELLOs also binds the
/// protocol versions, so the negotiated version (the lower of the two newest) cannot be tampered with.
/// </summary>
internal static class LinkHandshake
{
    /// <summary>The link protocol this build speaks.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>The oldest link protocol this build still speaks (a rolling upgrade mixes two adjacent versions).</summary>
    public const int MinProtocolVersion = 1;

    /// <summary>The bytes of a HELLO nonce.</summary>
    public const int NonceBytes = 16;

    private static readonly byte[] Label = "rookery-link-v1"u8.ToArray();

    /// <summary>A HELLO frame with a fresh nonce.</summary>
    public static Frame Hello(long nodeId, string name, int protocol = ProtocolVersion, int minProtocol = MinProtocolVersion) =>
        new PayloadWriter().Int32(protocol).Int32(minProtocol).Int64(nodeId).String(name)
            .Bytes(RandomNumberGenerator.GetBytes(NonceBytes)).ToFrame(FrameType.Hello);

    /// <summary>Reads a HELLO.</summary>
    public static (int Protocol, int MinProtocol, long NodeId, string Name) ReadHello(Frame frame)
    {
        if (frame.Type != FrameType.Hello)
        {
            throw new InvalidDataException($"Expected HELLO, got {frame.Type}");
        }

        var reader = new PayloadReader(frame.Payload.Span);
        var protocol = reader.Int32();
        var min = reader.Int32();
        var id = reader.Int64();
        var name = reader.String();
        if (reader.Bytes().Length != NonceBytes)
        {
            throw new InvalidDataException("HELLO nonce has the wrong length");
        }

        return (protocol, min, id, name);
    }

    /// <summary>The protocol both sides speak (the lower of the two newest), or null when their ranges do not meet.</summary>
    public static int? Negotiate(int ownProtocol, int ownMin, int peerProtocol, int peerMin)
    {
        var version = Math.Min(ownProtocol, peerProtocol);
        return version >= Math.Max(ownMin, peerMin) ? version : null;
    }

    /// <summary>The proof a node sends: HMAC-SHA256 over the label, its own HELLO payload, then the peer's.</summary>
    public static byte[] Proof(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> ownHello, ReadOnlySpan<byte> peerHello)
    {
        var data = new byte[Label.Length + 8 + ownHello.Length + peerHello.Length];
        Label.CopyTo(data, 0);
        // Lengths first, so that no two (own, peer) pairs concatenate to the same bytes.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(Label.Length), ownHello.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(Label.Length + 4), peerHello.Length);
        ownHello.CopyTo(data.AsSpan(Label.Length + 8));
        peerHello.CopyTo(data.AsSpan(Label.Length + 8 + ownHello.Length));
        return HMACSHA256.HashData(secret, data);
    }

    /// <summary>Checks the peer's proof in constant time.</summary>
    public static bool Verify(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> peerHello, ReadOnlySpan<byte> ownHello, ReadOnlySpan<byte> proof) =>
        CryptographicOperations.FixedTimeEquals(Proof(secret, peerHello, ownHello), proof);

    /// <summary>The secret as key bytes.</summary>
    public static byte[] Key(string secret) => Encoding.UTF8.GetBytes(secret);

    /// <summary>An AUTH frame carrying a proof.</summary>
    public static Frame Auth(byte[] proof) => new PayloadWriter().Bytes(proof).ToFrame(FrameType.Auth);

    /// <summary>Reads an AUTH frame's proof.</summary>
    public static byte[] ReadAuth(Frame frame)
    {
        if (frame.Type != FrameType.Auth)
        {
            throw new InvalidDataException($"Expected AUTH, got {frame.Type}");
        }

        return new PayloadReader(frame.Payload.Span).Bytes();
    }
}
