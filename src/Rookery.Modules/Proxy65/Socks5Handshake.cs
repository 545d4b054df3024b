using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Rookery.Modules.Proxy65;

/// <summary>
/// The server side of the SOCKS5 exchange XEP-0065 uses (RFC 1928 §3, §4, §6): a method selection message, then one
/// CONNECT request whose address is a DOMAINNAME holding the stream hash and whose port is 0. Parsers take whatever
/// bytes have arrived and say when more are needed; writers put the replies into the connection's output.
/// </summary>
public static class Socks5Handshake
{
    /// <summary>The SOCKS protocol version, the first byte of every message.</summary>
    public const byte Version = 0x05;

    /// <summary>Method X'00', "no authentication required": the only one the proxy offers (XEP-0065 §5.3.2).</summary>
    public const byte NoAuthenticationMethod = 0x00;

    /// <summary>Method X'FF', "no acceptable methods" (RFC 1928 §3).</summary>
    public const byte NoAcceptableMethod = 0xFF;

    /// <summary>The longest method selection message: VER, NMETHODS and 255 methods.</summary>
    public const int MaxGreetingLength = 2 + 255;

    /// <summary>The longest request the proxy reads: VER CMD RSV ATYP, a DOMAINNAME of up to 255 bytes with its length, the port.</summary>
    public const int MaxRequestLength = 4 + 1 + 255 + 2;

    private const byte ConnectCommand = 0x01;
    private const byte IPv4Address = 0x01;
    private const byte DomainNameAddress = 0x03;

    /// <summary>Reads the method selection message (VER NMETHODS METHODS); <paramref name="consumed"/> is its length once complete.</summary>
    public static Socks5Greeting ReadGreeting(ReadOnlySequence<byte> data, out long consumed)
    {
        consumed = 0;
        var reader = new SequenceReader<byte>(data);
        if (!reader.TryRead(out var version))
        {
            return Socks5Greeting.Incomplete;
        }

        if (version != Version)
        {
            return Socks5Greeting.NotSocks5;
        }

        if (!reader.TryRead(out var count) || reader.Remaining < count)
        {
            return Socks5Greeting.Incomplete;
        }

        var acceptable = false;
        for (var i = 0; i < count; i++)
        {
            reader.TryRead(out var method);
            acceptable |= method == NoAuthenticationMethod;
        }

        consumed = reader.Consumed;
        return acceptable ? Socks5Greeting.NoAuthentication : Socks5Greeting.NoAcceptableMethod;
    }

    /// <summary>
    /// Reads the request (VER CMD RSV ATYP DST.ADDR DST.PORT). False while incomplete; true with the accepted stream hash or
    /// with the reply code that refuses the request, decided as soon as the bytes that settle it are there.
    /// </summary>
    public static bool TryReadRequest(ReadOnlySequence<byte> data, out long consumed, out Socks5Request request)
    {
        consumed = 0;
        request = default;
        var reader = new SequenceReader<byte>(data);
        if (reader.Remaining < 4)
        {
            return false;
        }

        reader.TryRead(out var version);
        reader.TryRead(out var command);
        reader.TryRead(out var reserved);
        reader.TryRead(out var addressType);
        if (version != Version || reserved != 0)
        {
            request = Socks5Request.Refused(Socks5ReplyCode.GeneralFailure);
            return true;
        }

        if (command != ConnectCommand)
        {
            request = Socks5Request.Refused(Socks5ReplyCode.CommandNotSupported);
            return true;
        }

        // XEP-0065 §5.3.2: the stream is named by its hash as a DOMAINNAME; an IPv4 or IPv6 address names no stream.
        if (addressType != DomainNameAddress)
        {
            request = Socks5Request.Refused(Socks5ReplyCode.AddressTypeNotSupported);
            return true;
        }

        if (!reader.TryRead(out var length) || reader.Remaining < length + 2)
        {
            return false;
        }

        Span<byte> address = stackalloc byte[length];
        reader.TryCopyTo(address);
        reader.Advance(length);
        reader.TryReadBigEndian(out short port);
        consumed = reader.Consumed;
        if (!StreamHash.TryRead(address, out var hash))
        {
            request = Socks5Request.Refused(Socks5ReplyCode.HostUnreachable);
        }
        else if (port != 0)
        {
            // XEP-0065 §5.3.2: "The port MUST be 0 (zero)."
            request = Socks5Request.Refused(Socks5ReplyCode.NotAllowedByRuleset);
        }
        else
        {
            request = new Socks5Request(Socks5ReplyCode.Succeeded, hash);
        }

        return true;
    }

    /// <summary>Writes the method selection reply (VER METHOD).</summary>
    public static void WriteMethodSelection(IBufferWriter<byte> output, byte method)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(2);
        span[0] = Version;
        span[1] = method;
        output.Advance(2);
    }

    /// <summary>
    /// Writes a reply (VER REP RSV ATYP BND.ADDR BND.PORT). On success BND.ADDR and BND.PORT repeat the request's hash and
    /// port 0, as XEP-0065 §5.3.2 asks; a refusal carries the IPv4 address 0.0.0.0 and port 0, which mean nothing.
    /// </summary>
    public static void WriteReply(IBufferWriter<byte> output, Socks5ReplyCode code, string? hash = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (code == Socks5ReplyCode.Succeeded)
        {
            ArgumentNullException.ThrowIfNull(hash);
            var length = Encoding.ASCII.GetByteCount(hash);
            var span = output.GetSpan(7 + length);
            span[0] = Version;
            span[1] = (byte)code;
            span[2] = 0;
            span[3] = DomainNameAddress;
            span[4] = (byte)length;
            Encoding.ASCII.GetBytes(hash, span[5..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[(5 + length)..], 0);
            output.Advance(7 + length);
        }
        else
        {
            var span = output.GetSpan(10);
            span[..10].Clear();
            span[0] = Version;
            span[1] = (byte)code;
            span[3] = IPv4Address;
            output.Advance(10);
        }
    }
}
