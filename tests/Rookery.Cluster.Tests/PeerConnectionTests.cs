using System.Net.Sockets;
using Rookery.Cluster.Links;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Cluster.Tests;

/// <summary>The per-peer bookkeeping of forwarded stanzas: acknowledgements, in order and cumulative.</summary>
public sealed class PeerConnectionTests
{
    [Fact]
    public void Acknowledge_LastOfABurst_ForgetsEveryEarlierStanza_KeepsLaterOnes()
    {
        var peer = new PeerConnection(7, maxUnacked: 100);
        var target = Jid.Parse("bob@example.org/phone");
        for (var i = 0; i < 5; i++)
        {
            peer.SendStanza(target, new Element("message", Ns.Client).SetAttribute("id", "m" + i)).Should().BeTrue();
        }

        // A peer with LinkCapabilities.CumulativeAck acknowledges a burst with its last sequence number only.
        peer.Acknowledge(3);
        peer.UnackedCount.Should().Be(2);
        peer.Acknowledge(3);
        peer.UnackedCount.Should().Be(2, "an ACK repeated after a reconnect changes nothing");
        peer.Acknowledge(5);
        peer.UnackedCount.Should().Be(0);
        peer.Close().Unacked.Should().BeEmpty();
    }

    [Fact]
    public void Close_HandsBackWhatWasNotAcknowledged_InSequenceOrder()
    {
        var peer = new PeerConnection(7, maxUnacked: 100);
        var target = Jid.Parse("bob@example.org/phone");
        for (var i = 0; i < 4; i++)
        {
            peer.SendStanza(target, new Element("message", Ns.Client).SetAttribute("id", "m" + i));
        }

        peer.Acknowledge(1);
        var unacked = peer.Close().Unacked;
        unacked.Select(p => p.Sequence).Should().Equal(2, 3, 4);
        // Kept only inside the frame: what is routed again when the peer dies is the stanza that was forwarded.
        unacked.Select(p => p.Xml).Should().Equal("<message id='m1'/>", "<message id='m2'/>", "<message id='m3'/>");
    }

    [Fact]
    public async Task SendStanza_ReadyLink_ForwardedAfterTheSync_SyncBeginCarriesTheLimit()
    {
        var (link, socket, _) = await NodeLinkTests.ConnectAsync();
        using var peerSocket = socket;
        await using var peerStream = new NetworkStream(socket);
        var peer = new PeerConnection(7, maxUnacked: 5000);
        peer.Attach(link, [], () => []).Should().BeTrue();
        peer.OnSyncBegin(link, LinkCapabilities.All, () => []).Should().BeEmpty();
        peer.SendStanza(Jid.Parse("bob@example.org/phone"), new Element("message", Ns.Client).SetAttribute("id", "m1")).Should().BeTrue();

        var syncBegin = (await FrameCodec.ReadAsync(peerStream, default))!.Value;
        syncBegin.Type.Should().Be(FrameType.SyncBegin);
        var reader = new PayloadReader(syncBegin.Payload.Span);
        ((LinkCapabilities)reader.Int32()).Should().HaveFlag(LinkCapabilities.DelayedAck);
        reader.Int32().Should().Be(5000, "a peer delaying its ACKs must know how many stanzas we keep unacknowledged");
        (await FrameCodec.ReadAsync(peerStream, default))!.Value.Type.Should().Be(FrameType.SyncEnd);
        var stanza = (await FrameCodec.ReadAsync(peerStream, default))!.Value;
        stanza.Type.Should().Be(FrameType.Stanza);
        new PayloadReader(stanza.Payload.Span).Int64().Should().Be(1);
        link.Abort();
    }

    [Fact]
    public void SendStanza_ParsedStanza_AllocatesOnlyThePayloadAndItsBookkeeping()
    {
        // Issue #4, cross-node CPU per message: a stanza routed unchanged is copied into the frame as its received bytes,
        // with no XML string, UTF-16 round trip or growing buffer per forwarded stanza.
        var peer = new PeerConnection(7, maxUnacked: 100);
        var target = Jid.Parse("bob@example.org/phone");
        var targetUtf8 = "bob@example.org/phone"u8.ToArray();
        var stanza = new ForwardedStanzaParser().Parse(
            "<message to='bob@example.org' type='chat' id='m-1'><body>a body of the sixty-four byte class, for this budget</body></message>"u8.ToArray());
        stanza.SetAttribute("from", "alice@example.org/laptop");
        var payloadBytes = 8 + 4 + targetUtf8.Length + 4 + System.Text.Encoding.UTF8.GetByteCount(ElementWriter.ToXmlString(stanza));
        var sequence = 0L;
        for (var i = 0; i < 200; i++)
        {
            peer.SendStanza(target, targetUtf8, stanza).Should().BeTrue();
            peer.Acknowledge(++sequence);
        }

        const int Count = 2000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Count; i++)
        {
            peer.SendStanza(target, targetUtf8, stanza);
            peer.Acknowledge(++sequence);
        }

        var perStanza = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Count;
        // The payload array (24 bytes of header and length, rounded up to 8) and the PendingStanza record (72 bytes).
        perStanza.Should().BeLessThanOrEqualTo(payloadBytes + 32 + 72, "payload {0} bytes", payloadBytes);
    }
}
