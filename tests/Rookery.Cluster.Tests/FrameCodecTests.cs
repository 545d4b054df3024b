using System.Buffers.Binary;
using Rookery.Cluster.Links;
using Rookery.Protocol.Xml;

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
    public async Task Sequenced_WithSequenceSetLater_SameBytesAsPayloadWriter_AndReusedHeadersRoundTrip()
    {
        // The per-stanza payload is built outside the peer's lock, its sequence number written under it.
        var payload = PayloadWriter.Sequenced("bob@example.org/phone", "<message>héllo</message>");
        PayloadWriter.SetSequence(payload, 42);
        var expected = new PayloadWriter().Int64(42).String("bob@example.org/phone").String("<message>héllo</message>").ToFrame(FrameType.Stanza);
        payload.Should().Equal(expected.Payload.ToArray());
        PayloadWriter.Ack(9).Payload.ToArray().Should().Equal(new PayloadWriter().Int64(9).ToFrame(FrameType.Ack).Payload.ToArray());

        using var stream = new MemoryStream();
        var header = new byte[FrameCodec.HeaderBytes + 1];
        await FrameCodec.WriteAsync(stream, new Frame(FrameType.Stanza, payload), header, default);
        await FrameCodec.WriteAsync(stream, PayloadWriter.Ack(9), header, default);
        stream.Position = 0;
        var first = (await FrameCodec.ReadAsync(stream, header, default))!.Value;
        var second = (await FrameCodec.ReadAsync(stream, header, default))!.Value;

        ReadStanza(first).Should().Be((42L, "bob@example.org/phone", "<message>héllo</message>"));
        second.Type.Should().Be(FrameType.Ack);
        new PayloadReader(second.Payload.Span).Int64().Should().Be(9);
    }

    [Fact]
    public async Task Stanza_WrittenFromTheTree_SameBytesAsTheStringForm_AndBatchedWriteReadsBack()
    {
        // The sender writes the stanza's UTF-8 straight into the payload (the received bytes of a parsed stanza, with its
        // stamped 'from'): the bytes must be those of the string form the receiver and older peers expect.
        var parsed = new ForwardedStanzaParser().Parse("<message to='bob@example.org' type='chat' id='x'><body>h\u00e9llo &amp; bye</body></message>"u8.ToArray());
        parsed.SetAttribute("from", "alice@example.org/laptop");
        var built = new Element("message", Ns.Client).SetAttribute("to", "bob@example.org/phone").SetAttribute("id", "y");
        foreach (var element in new[] { parsed, built })
        {
            var payload = PayloadWriter.Stanza("bob@example.org/phone"u8, element, out var xml);
            PayloadWriter.SetSequence(payload, 42);
            var expected = PayloadWriter.Sequenced("bob@example.org/phone", ElementWriter.ToXmlString(element));
            PayloadWriter.SetSequence(expected, 42);
            payload.Should().Equal(expected);
            System.Text.Encoding.UTF8.GetString(payload.AsSpan()[xml]).Should().Be(ElementWriter.ToXmlString(element));
        }

        var batch = new System.Buffers.ArrayBufferWriter<byte>();
        FrameCodec.Write(batch, new Frame(FrameType.Stanza, PayloadWriter.Sequenced("bob@example.org/phone", "<message/>")));
        FrameCodec.Write(batch, Frame.Empty(FrameType.Ping));
        using var stream = new MemoryStream(batch.WrittenSpan.ToArray());
        (await FrameCodec.ReadAsync(stream, default))!.Value.Type.Should().Be(FrameType.Stanza);
        (await FrameCodec.ReadAsync(stream, default))!.Value.Type.Should().Be(FrameType.Ping);
        (await FrameCodec.ReadAsync(stream, default)).Should().BeNull();
    }

    [Fact]
    public async Task WriteThenRead_MucStanza_CarriesSequenceFromToAndXml()
    {
        using var stream = new MemoryStream();
        var frame = new PayloadWriter().Int64(7).String("bob@example.org/phone").String("room@conference.example.org").String("<message type='groupchat'/>")
            .ToFrame(FrameType.MucStanza);
        await FrameCodec.WriteAsync(stream, frame, default);
        stream.Position = 0;

        var read = (await FrameCodec.ReadAsync(stream, default))!.Value;

        read.Type.Should().Be(FrameType.MucStanza);
        ((byte)read.Type).Should().Be(70, "MUC frames use the reserved values 70-79");
        var reader = new PayloadReader(read.Payload.Span);
        reader.Int64().Should().Be(7);
        reader.String().Should().Be("bob@example.org/phone");
        reader.String().Should().Be("room@conference.example.org");
        reader.String().Should().Be("<message type='groupchat'/>");
    }

    [Fact]
    public async Task ComponentFrames_RoundTrip_WithTheirValuesAndFields()
    {
        // Issue #5's frames live in the components range 60-69 (docs/dev/cluster.md); their values are wire format.
        ((byte)FrameType.ComponentUp).Should().Be(60);
        ((byte)FrameType.ComponentDown).Should().Be(61);
        ((byte)FrameType.ComponentStanza).Should().Be(62);
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new PayloadWriter().String("echo.example.org").String("node-a#7/0HN1").Int32(2).ToFrame(FrameType.ComponentUp), default);
        await FrameCodec.WriteAsync(stream, new PayloadWriter().String("echo.example.org").String("node-a#7/0HN1").ToFrame(FrameType.ComponentDown), default);
        await FrameCodec.WriteAsync(stream, new PayloadWriter().Int64(9).String("echo.example.org").String("node-a#7/0HN1").String("<message/>").ToFrame(FrameType.ComponentStanza), default);
        stream.Position = 0;

        var up = (await FrameCodec.ReadAsync(stream, default))!.Value;
        var down = (await FrameCodec.ReadAsync(stream, default))!.Value;
        var stanza = (await FrameCodec.ReadAsync(stream, default))!.Value;

        up.Type.Should().Be(FrameType.ComponentUp);
        var r1 = new PayloadReader(up.Payload.Span);
        (r1.String(), r1.String(), r1.Int32()).Should().Be(("echo.example.org", "node-a#7/0HN1", 2));
        down.Type.Should().Be(FrameType.ComponentDown);
        var r2 = new PayloadReader(down.Payload.Span);
        (r2.String(), r2.String()).Should().Be(("echo.example.org", "node-a#7/0HN1"));
        stanza.Type.Should().Be(FrameType.ComponentStanza);
        var r3 = new PayloadReader(stanza.Payload.Span);
        (r3.Int64(), r3.String(), r3.String(), r3.String()).Should().Be((9L, "echo.example.org", "node-a#7/0HN1", "<message/>"));
    }

    [Fact]
    public async Task S2sFrames_RoundTrip_WithTheirValuesAndFields()
    {
        // The s2s branch's reserved range 80-89; the values are wire format, gated by LinkCapabilities.S2sRoutes.
        ((byte)FrameType.S2sRoutes).Should().Be(80);
        ((byte)FrameType.S2sRouteUp).Should().Be(81);
        ((byte)FrameType.S2sRouteDown).Should().Be(82);
        ((byte)FrameType.S2sStanza).Should().Be(83);
        ((int)LinkCapabilities.S2sRoutes).Should().Be(8);
        LinkCapabilities.All.Should().HaveFlag(LinkCapabilities.S2sRoutes);
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new PayloadWriter().Int32(2).String("example.org").String("a.test").String("example.org").String("b.test").ToFrame(FrameType.S2sRoutes), default);
        await FrameCodec.WriteAsync(stream, new PayloadWriter().String("example.org").String("c.test").ToFrame(FrameType.S2sRouteUp), default);
        await FrameCodec.WriteAsync(stream, new PayloadWriter().String("example.org").String("c.test").ToFrame(FrameType.S2sRouteDown), default);
        await FrameCodec.WriteAsync(stream, new PayloadWriter().Int64(5).String("alice@example.org/x").String("bob@c.test").String("<message/>").ToFrame(FrameType.S2sStanza), default);
        stream.Position = 0;

        var full = (await FrameCodec.ReadAsync(stream, default))!.Value;
        var up = (await FrameCodec.ReadAsync(stream, default))!.Value;
        var down = (await FrameCodec.ReadAsync(stream, default))!.Value;
        var stanza = (await FrameCodec.ReadAsync(stream, default))!.Value;

        full.Type.Should().Be(FrameType.S2sRoutes);
        var r0 = new PayloadReader(full.Payload.Span);
        (r0.Int32(), r0.String(), r0.String(), r0.String(), r0.String()).Should().Be((2, "example.org", "a.test", "example.org", "b.test"));
        up.Type.Should().Be(FrameType.S2sRouteUp);
        var r1 = new PayloadReader(up.Payload.Span);
        (r1.String(), r1.String()).Should().Be(("example.org", "c.test"));
        down.Type.Should().Be(FrameType.S2sRouteDown);
        var r2 = new PayloadReader(down.Payload.Span);
        (r2.String(), r2.String()).Should().Be(("example.org", "c.test"));
        stanza.Type.Should().Be(FrameType.S2sStanza);
        var r3 = new PayloadReader(stanza.Payload.Span);
        (r3.Int64(), r3.String(), r3.String(), r3.String()).Should().Be((5L, "alice@example.org/x", "bob@c.test", "<message/>"));
    }

    [Fact]
    public async Task AccountChange_RoundTrip_WithItsValueAndFields()
    {
        // Wire format, gated by LinkCapabilities.AccountChanges.
        ((byte)FrameType.AccountChange).Should().Be(110);
        ((int)LinkCapabilities.AccountChanges).Should().Be(64);
        LinkCapabilities.All.Should().HaveFlag(LinkCapabilities.AccountChanges);
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new PayloadWriter().String("blocking").String("alice@example.org").String("block\nbob@example.org").ToFrame(FrameType.AccountChange), default);
        stream.Position = 0;

        var frame = (await FrameCodec.ReadAsync(stream, default))!.Value;

        frame.Type.Should().Be(FrameType.AccountChange);
        var reader = new PayloadReader(frame.Payload.Span);
        (reader.String(), reader.String(), reader.String()).Should().Be(("blocking", "alice@example.org", "block\nbob@example.org"));
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

    [Fact]
    public void TryRead_ReceivedBytes_EveryCompleteFrame_ThenWhatThePartOneNeeds()
    {
        // A link's reader parses every complete frame of one receive without an asynchronous read per frame.
        var stanza = new PayloadWriter().Int64(42).String("bob@example.org/phone").String("<message/>").ToFrame(FrameType.Stanza);
        var bytes = FrameCodec.Encode(stanza).Concat(FrameCodec.Encode(Frame.Empty(FrameType.Ping))).Concat(FrameCodec.Encode(PayloadWriter.Ack(7))).ToArray();
        var part = bytes[..^3];

        FrameCodec.TryRead(part, out var first, out var used, out _).Should().BeTrue();
        ReadStanza(first).Should().Be((42L, "bob@example.org/phone", "<message/>"));
        FrameCodec.TryRead(part.AsSpan(used), out var second, out var used2, out _).Should().BeTrue();
        second.Type.Should().Be(FrameType.Ping);
        second.Payload.Length.Should().Be(0);
        FrameCodec.TryRead(part.AsSpan(used + used2), out _, out var none, out var needed).Should().BeFalse("the ACK's last bytes did not arrive");
        none.Should().Be(0);
        needed.Should().Be(13, "the whole ACK frame: length, type and an 8-byte sequence number");
        FrameCodec.TryRead(part.AsSpan(used + used2, 3), out _, out _, out var header).Should().BeFalse();
        header.Should().Be(FrameCodec.HeaderBytes + 1, "not even the header is there");
        FrameCodec.TryRead(bytes.AsSpan(used + used2), out var ack, out var used3, out _).Should().BeTrue();
        new PayloadReader(ack.Payload.Span).Int64().Should().Be(7);
        (used + used2 + used3).Should().Be(bytes.Length);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(FrameCodec.MaxFrameBytes + 1u)]
    public void TryRead_LengthOutOfRange_Throws(uint length)
    {
        var bytes = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        bytes[4] = (byte)FrameType.Ping;

        var act = () => FrameCodec.TryRead(bytes, out _, out _, out _);

        act.Should().Throw<InvalidDataException>().WithMessage("*out of range*");
        var unknown = () => FrameCodec.TryRead(new byte[] { 0, 0, 0, 1, 200 }, out _, out _, out _);
        unknown.Should().Throw<InvalidDataException>().WithMessage("*Unknown frame type 200*");
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

    [Theory]
    [InlineData(40)]
    [InlineData(41)]
    [InlineData(42)]
    [InlineData(43)]
    public async Task SessionHandoverFrames_HaveTheirReservedValues_AndRoundTrip(byte value)
    {
        var type = (FrameType)value;
        Enum.IsDefined(type).Should().BeTrue();
        new[] { FrameType.ResumeRequest, FrameType.ResumeState, FrameType.ResumeRefused, FrameType.ResumeAck }.Should().Contain(type);
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new PayloadWriter().Int64(7).String("token").ToFrame(type), default);
        stream.Position = 0;

        var frame = await FrameCodec.ReadAsync(stream, default);

        frame!.Value.Type.Should().Be(type);
        var reader = new PayloadReader(frame.Value.Payload.Span);
        reader.Int64().Should().Be(7);
        reader.String().Should().Be("token");
        reader.HasMore.Should().BeFalse();
    }

    [Fact]
    public void PayloadReader_AppendedField_IsSeenByNewReaders_AndLeftAloneByOldOnes()
    {
        // SESSION_UP grew a flags field at its end (carbons): an old reader stops before it, a new one reads it.
        var frame = new PayloadWriter().String("a@b/c").Int64(1).Int32(0).Bool(true).String(string.Empty).Int32(1).ToFrame(FrameType.SessionUp);
        var old = new PayloadReader(frame.Payload.Span);
        old.String();
        old.Int64();
        old.Int32();
        old.Bool();
        old.String();

        old.HasMore.Should().BeTrue();
        old.Int32().Should().Be(1);
        old.HasMore.Should().BeFalse();
    }

    private static (long, string, string) ReadStanza(Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        return (reader.Int64(), reader.String(), reader.String());
    }
}
