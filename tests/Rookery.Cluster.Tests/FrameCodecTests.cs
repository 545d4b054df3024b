using System.Buffers.Binary;
using Rookery.Cluster.Links;

namespace Rookery.Cluster.Tests;

/// <summary>Link frames: round trips, payload fields, and the errors that end a link.</summary>
public sealed class FrameCodecTests
{
    [Fact]
    public async Task WriteThenRead_SeveralFrames_ComeBackInOrder()
    {
        using var stream = new MemoryStream();
        var stanza = new PayloadWriter().Int64(42).String("bob@example.org/phone").String("<message>héllo</message>").ToFrame(FrameType.Stanza);
        await FrameCodec.WriteAsync(stream, stanza, default);
        await FrameCodec.WriteAsync(stream, Frame.Empty(FrameType.Ping), default);
        stream.Position = 0;

        var first = await FrameCodec.ReadAsync(stream, default);
        var second = await FrameCodec.ReadAsync(stream, default);
        var end = await FrameCodec.ReadAsync(stream, default);

        first!.Value.Type.Should().Be(FrameType.Stanza);
        ReadStanza(first.Value).Should().Be((42L, "bob@example.org/phone", "<message>héllo</message>"));
        second!.Value.Type.Should().Be(FrameType.Ping);
        second.Value.Payload.Length.Should().Be(0);
        end.Should().BeNull("the stream ended cleanly between frames");
    }

    [Fact]
    public async Task Refused_RoundTrip_TypeFiftyWithReason()
    {
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new PayloadWriter().String("this node requires TLS").ToFrame(FrameType.Refused), default);
        stream.Position = 0;

        var frame = await FrameCodec.ReadAsync(stream, default);

        ((byte)FrameType.Refused).Should().Be(50, "the links branch's reserved frame types are 50-59");
        frame!.Value.Type.Should().Be(FrameType.Refused);
        new PayloadReader(frame.Value.Payload.Span).String().Should().Be("this node requires TLS");
        stream.ToArray()[0].Should().Be(0, "a frame never starts with 0x16, the first byte of a TLS record, so the acceptor can tell them apart");
    }

    [Fact]
    public void Encode_LayoutIsLengthTypePayload()
    {
        var bytes = FrameCodec.Encode(new PayloadWriter().Int64(1).ToFrame(FrameType.Ack));

        BinaryPrimitives.ReadUInt32BigEndian(bytes).Should().Be(9u, "type byte plus an 8-byte sequence number");
        bytes[4].Should().Be((byte)FrameType.Ack);
        bytes.Should().HaveCount(13);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(FrameCodec.MaxFrameBytes + 1u)]
    public async Task Read_LengthOutOfRange_Throws(uint length)
    {
        var bytes = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        bytes[4] = (byte)FrameType.Ping;

        var act = async () => await FrameCodec.ReadAsync(new MemoryStream(bytes), default);

        await act.Should().ThrowAsync<InvalidDataException>().WithMessage("*out of range*");
    }

    [Fact]
    public async Task Read_UnknownType_Throws()
    {
        var bytes = new byte[] { 0, 0, 0, 1, 200 };

        var act = async () => await FrameCodec.ReadAsync(new MemoryStream(bytes), default);

        await act.Should().ThrowAsync<InvalidDataException>().WithMessage("*Unknown frame type 200*");
    }

    [Fact]
    public async Task Read_StreamEndsInsideAFrame_Throws()
    {
        var full = FrameCodec.Encode(new PayloadWriter().String("truncated").ToFrame(FrameType.SessionDown));

        var act = async () => await FrameCodec.ReadAsync(new MemoryStream(full[..^3]), default);

        await act.Should().ThrowAsync<InvalidDataException>().WithMessage("*inside a frame*");
    }

    [Fact]
    public void PayloadReader_FieldLongerThanThePayload_Throws()
    {
        var frame = new PayloadWriter().Int32(1000).ToFrame(FrameType.SessionUp);

        var act = () => new PayloadReader(frame.Payload.Span).String();

        act.Should().Throw<InvalidDataException>().WithMessage("*ends early*");
    }

    private static (long, string, string) ReadStanza(Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        return (reader.Int64(), reader.String(), reader.String());
    }
}
