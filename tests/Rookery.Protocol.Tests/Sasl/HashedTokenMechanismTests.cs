using System.Security.Cryptography;
using System.Text;
using Rookery.Protocol.Sasl;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class HashedTokenMechanismTests
{
    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void InitiatorAndResponder_AreHmacSha256OfLabelAndChannelBinding()
    {
        byte[] cb = [1, 2, 3];

        HashedTokenMechanism.Initiator("secret", cb).Should().Equal(HMACSHA256.HashData(U("secret"), (byte[])[.. U("Initiator"), .. cb]));
        HashedTokenMechanism.Responder("secret", []).Should().Equal(HMACSHA256.HashData(U("secret"), U("Responder")));
    }

    [Fact]
    public void Verify_RightTokenAndBinding_True_OtherwiseFalse()
    {
        byte[] cb = [9, 9];
        var proof = HashedTokenMechanism.Initiator("token", cb);

        HashedTokenMechanism.Verify("token", cb, proof).Should().BeTrue();
        HashedTokenMechanism.Verify("other", cb, proof).Should().BeFalse();
        HashedTokenMechanism.Verify("token", [], proof).Should().BeFalse("the proof is bound to the channel");
        HashedTokenMechanism.Verify("token", cb, HashedTokenMechanism.Responder("token", cb)).Should().BeFalse("the two directions differ");
    }

    [Fact]
    public void ParseInitial_AuthcidNulProof()
    {
        var proof = HashedTokenMechanism.Initiator("t", []);

        var (authcid, parsed) = HashedTokenMechanism.ParseInitial([.. U("jülia"), 0, .. proof]);

        authcid.Should().Be("jülia");
        parsed.Should().Equal(proof);
    }

    [Theory]
    [InlineData(0, 32)] // no authcid
    [InlineData(5, 31)] // short proof
    [InlineData(5, -1)] // no NUL at all
    public void ParseInitial_Malformed_MalformedRequest(int authcidLength, int proofLength)
    {
        byte[] message = proofLength < 0
            ? [.. Enumerable.Repeat((byte)'a', authcidLength)]
            : [.. Enumerable.Repeat((byte)'a', authcidLength), 0, .. new byte[proofLength]];

        var act = () => HashedTokenMechanism.ParseInitial(message);

        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Theory]
    [InlineData("HT-SHA-256-NONE", null)]
    [InlineData("HT-SHA-256-ENDP", "tls-server-end-point")]
    [InlineData("HT-SHA-256-UNIQ", "tls-unique")]
    [InlineData("HT-SHA-256-EXPR", "tls-exporter")]
    public void ChannelBindingType_NamesTheBindingOfEachMechanism(string mechanism, string? type)
    {
        HashedTokenMechanism.IsHashedToken(mechanism).Should().BeTrue();
        HashedTokenMechanism.ChannelBindingType(mechanism).Should().Be(type);
        if (type is not null)
        {
            HashedTokenMechanism.ForChannelBinding(type).Should().Be(mechanism);
        }
    }

    [Fact]
    public void IsHashedToken_OtherMechanism_False()
    {
        HashedTokenMechanism.IsHashedToken("SCRAM-SHA-256").Should().BeFalse();
        HashedTokenMechanism.IsHashedToken("HT-SHA-512-NONE").Should().BeFalse();
    }
}
