using System.Buffers;
using System.Text;
using Rookery.Modules.Proxy65;

namespace Rookery.Modules.Tests.Proxy65;

public sealed class Socks5HandshakeTests
{
    private const string Hash = "98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff";

    [Theory]
    [InlineData(new byte[] { 5, 1, 0 }, Socks5Greeting.NoAuthentication, 3)]
    [InlineData(new byte[] { 5, 3, 2, 1, 0 }, Socks5Greeting.NoAuthentication, 5)]
    [InlineData(new byte[] { 5, 2, 2, 1 }, Socks5Greeting.NoAcceptableMethod, 4)]
    [InlineData(new byte[] { 5, 0 }, Socks5Greeting.NoAcceptableMethod, 2)]
    [InlineData(new byte[] { 4, 1, 0 }, Socks5Greeting.NotSocks5, 0)]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T' }, Socks5Greeting.NotSocks5, 0)]
    [InlineData(new byte[] { }, Socks5Greeting.Incomplete, 0)]
    [InlineData(new byte[] { 5 }, Socks5Greeting.Incomplete, 0)]
    [InlineData(new byte[] { 5, 2, 0 }, Socks5Greeting.Incomplete, 0)]
    public void ReadGreeting_Bytes_Outcome(byte[] bytes, Socks5Greeting expected, long expectedConsumed)
    {
        var greeting = Socks5Handshake.ReadGreeting(new ReadOnlySequence<byte>(bytes), out var consumed);

        greeting.Should().Be(expected);
        consumed.Should().Be(expectedConsumed);
    }

    [Fact]
    public void ReadGreeting_FollowedByRequest_ConsumesOnlyTheGreeting()
    {
        var bytes = new byte[] { 5, 1, 0 }.Concat(Request(Hash)).ToArray();

        Socks5Handshake.ReadGreeting(new ReadOnlySequence<byte>(bytes), out var consumed).Should().Be(Socks5Greeting.NoAuthentication);

        consumed.Should().Be(3);
    }

    [Fact]
    public void TryReadRequest_ConnectToHashOnPortZero_Accepted()
    {
        var bytes = Request(Hash);

        Socks5Handshake.TryReadRequest(new ReadOnlySequence<byte>(bytes), out var consumed, out var request).Should().BeTrue();

        request.IsAccepted.Should().BeTrue();
        request.Hash.Should().Be(Hash);
        consumed.Should().Be(bytes.Length);
    }

    [Fact]
    public void TryReadRequest_SplitAcrossSegmentsAndArrivingByteByByte_AcceptedOnlyWhenComplete()
    {
        var bytes = Request(Hash);
        for (var length = 0; length < bytes.Length; length++)
        {
            Socks5Handshake.TryReadRequest(Segmented(bytes[..length]), out _, out _).Should().BeFalse("{0} of {1} bytes are not a request", length, bytes.Length);
        }

        Socks5Handshake.TryReadRequest(Segmented(bytes), out var consumed, out var request).Should().BeTrue();
        request.Hash.Should().Be(Hash);
        consumed.Should().Be(bytes.Length);
    }

    [Fact]
    public void TryReadRequest_UpperCaseHash_AcceptedLowerCased()
    {
        Socks5Handshake.TryReadRequest(new ReadOnlySequence<byte>(Request(Hash.ToUpperInvariant())), out _, out var request).Should().BeTrue();

        request.Hash.Should().Be(Hash);
    }

    [Theory]
    [InlineData(new byte[] { 4, 1, 0, 3 }, Socks5ReplyCode.GeneralFailure)]
    [InlineData(new byte[] { 5, 1, 1, 3 }, Socks5ReplyCode.GeneralFailure)]
    [InlineData(new byte[] { 5, 2, 0, 3 }, Socks5ReplyCode.CommandNotSupported)]
    [InlineData(new byte[] { 5, 3, 0, 3 }, Socks5ReplyCode.CommandNotSupported)]
    [InlineData(new byte[] { 5, 1, 0, 1 }, Socks5ReplyCode.AddressTypeNotSupported)]
    [InlineData(new byte[] { 5, 1, 0, 4 }, Socks5ReplyCode.AddressTypeNotSupported)]
    [InlineData(new byte[] { 5, 1, 0, 9 }, Socks5ReplyCode.AddressTypeNotSupported)]
    public void TryReadRequest_BadHeader_RefusedOnTheFirstFourBytes(byte[] header, Socks5ReplyCode expected)
    {
        Socks5Handshake.TryReadRequest(new ReadOnlySequence<byte>(header), out _, out var request).Should().BeTrue();

        request.IsAccepted.Should().BeFalse();
        request.Error.Should().Be(expected);
    }

    [Theory]
    [InlineData("proxy.example.com", 0, Socks5ReplyCode.HostUnreachable)]
    [InlineData("98b8d688d0f5d895fd41c5e7309a2e9e33ba32fz", 0, Socks5ReplyCode.HostUnreachable)]
    [InlineData(Hash, 7777, Socks5ReplyCode.NotAllowedByRuleset)]
    public void TryReadRequest_NotAHashOrNotPortZero_Refused(string address, int port, Socks5ReplyCode expected)
    {
        Socks5Handshake.TryReadRequest(new ReadOnlySequence<byte>(Request(address, port)), out _, out var request).Should().BeTrue();

        request.Error.Should().Be(expected);
    }

    [Fact]
    public void WriteReply_Success_RepeatsHashAndPortZero()
    {
        var output = new ArrayBufferWriter<byte>();

        Socks5Handshake.WriteReply(output, Socks5ReplyCode.Succeeded, Hash);

        output.WrittenSpan.ToArray().Should().Equal([5, 0, 0, 3, 40, .. Encoding.ASCII.GetBytes(Hash), 0, 0]);
    }

    [Fact]
    public void WriteReply_Refusal_CodeWithEmptyIPv4Address()
    {
        var output = new ArrayBufferWriter<byte>();

        Socks5Handshake.WriteReply(output, Socks5ReplyCode.CommandNotSupported);

        output.WrittenSpan.ToArray().Should().Equal(5, 7, 0, 1, 0, 0, 0, 0, 0, 0);
    }

    internal static byte[] Request(string address, int port = 0)
    {
        var name = Encoding.ASCII.GetBytes(address);
        return [5, 1, 0, 3, (byte)name.Length, .. name, (byte)(port >> 8), (byte)port];
    }

    /// <summary>The bytes as a sequence of one-byte segments, as a slow client's packets may arrive.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
