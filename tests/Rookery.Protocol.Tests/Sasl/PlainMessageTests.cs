using System.Text;
using Rookery.Protocol.Sasl;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class PlainMessageTests
{
    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Parse_NoAuthzid_AuthzidNull()
    {
        PlainMessage.Parse(U("\0juliet\0r0m30myr0m30")).Should().Be(((string?)null, "juliet", "r0m30myr0m30"));
    }

    [Fact]
    public void Parse_WithAuthzid_AllThreeParts()
    {
        PlainMessage.Parse(U("admin@example.com\0juliet\0pässwörd")).Should().Be(("admin@example.com", "juliet", "pässwörd"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("julietpassword")]
    [InlineData("\0julietpassword")]
    [InlineData("\0\0password")]
    [InlineData("\0juliet\0")]
    [InlineData("\0juliet\0pass\0word")]
    public void Parse_Malformed_MalformedRequest(string message)
    {
        var act = () => PlainMessage.Parse(U(message));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Fact]
    public void Parse_InvalidUtf8_MalformedRequest()
    {
        var act = () => PlainMessage.Parse([0, (byte)'j', 0xFF, 0, (byte)'p']);
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Fact]
    public void Parse_OverlongAuthcid_MalformedRequest()
    {
        var act = () => PlainMessage.Parse(U("\0" + new string('a', 256) + "\0pw"));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
        PlainMessage.Parse(U("\0" + new string('a', 255) + "\0pw")).Authcid.Should().HaveLength(255);
    }
}
