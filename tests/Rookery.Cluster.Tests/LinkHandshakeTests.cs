using Rookery.Cluster.Links;

namespace Rookery.Cluster.Tests;

/// <summary>The HMAC-SHA256 challenge–response of node links and the protocol version negotiation.</summary>
public sealed class LinkHandshakeTests
{
    private static readonly byte[] Secret = LinkHandshake.Key("correct horse battery staple");

    [Fact]
    public void Verify_SameSecret_BothProofsAccepted()
    {
        var dialler = LinkHandshake.Hello(1, "node-a");
        var acceptor = LinkHandshake.Hello(2, "node-b");

        var diallerProof = LinkHandshake.Proof(Secret, dialler.Payload.Span, acceptor.Payload.Span);
        var acceptorProof = LinkHandshake.Proof(Secret, acceptor.Payload.Span, dialler.Payload.Span);

        LinkHandshake.Verify(Secret, dialler.Payload.Span, acceptor.Payload.Span, diallerProof).Should().BeTrue();
        LinkHandshake.Verify(Secret, acceptor.Payload.Span, dialler.Payload.Span, acceptorProof).Should().BeTrue();
        diallerProof.Should().HaveCount(32);
    }

    [Fact]
    public void Verify_WrongSecret_Refused()
    {
        var dialler = LinkHandshake.Hello(1, "node-a");
        var acceptor = LinkHandshake.Hello(2, "node-b");
        var proof = LinkHandshake.Proof(LinkHandshake.Key("another secret entirely"), dialler.Payload.Span, acceptor.Payload.Span);

        LinkHandshake.Verify(Secret, dialler.Payload.Span, acceptor.Payload.Span, proof).Should().BeFalse();
    }

    [Fact]
    public void Verify_ProofReflectedToItsAuthor_Refused()
    {
        // An attacker without the secret who echoes the acceptor's own proof back must not pass.
        var dialler = LinkHandshake.Hello(1, "node-a");
        var acceptor = LinkHandshake.Hello(2, "node-b");
        var acceptorProof = LinkHandshake.Proof(Secret, acceptor.Payload.Span, dialler.Payload.Span);

        LinkHandshake.Verify(Secret, dialler.Payload.Span, acceptor.Payload.Span, acceptorProof).Should().BeFalse();
    }

    [Fact]
    public void Verify_ProofReplayedOnAnotherHandshake_Refused()
    {
        var dialler = LinkHandshake.Hello(1, "node-a");
        var firstAcceptor = LinkHandshake.Hello(2, "node-b");
        var proof = LinkHandshake.Proof(Secret, dialler.Payload.Span, firstAcceptor.Payload.Span);
        var secondAcceptor = LinkHandshake.Hello(2, "node-b");

        LinkHandshake.Verify(Secret, dialler.Payload.Span, secondAcceptor.Payload.Span, proof).Should().BeFalse("the acceptor's fresh nonce differs");
    }

    [Fact]
    public void Hello_CarriesVersionsIdAndName_NeverTheSecret()
    {
        var hello = LinkHandshake.Hello(77, "node-x");

        LinkHandshake.ReadHello(hello).Should().Be((LinkHandshake.ProtocolVersion, LinkHandshake.MinProtocolVersion, 77L, "node-x"));
        var bytes = hello.Payload.ToArray();
        bytes.AsSpan().IndexOf(Secret).Should().Be(-1);
    }

    [Theory]
    [InlineData(2, 1, 1, 1, 1)]
    [InlineData(2, 1, 3, 2, 2)]
    [InlineData(1, 1, 1, 1, 1)]
    public void Negotiate_OverlappingRanges_PickTheLowerNewest(int own, int ownMin, int peer, int peerMin, int expected)
    {
        LinkHandshake.Negotiate(own, ownMin, peer, peerMin).Should().Be(expected);
    }

    [Fact]
    public void Negotiate_DisjointRanges_None()
    {
        LinkHandshake.Negotiate(1, 1, 3, 2).Should().BeNull();
    }
}
