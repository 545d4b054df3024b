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
}
