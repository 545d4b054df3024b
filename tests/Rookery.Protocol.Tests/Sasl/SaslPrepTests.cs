using Rookery.Protocol.Sasl;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class SaslPrepTests
{
    // RFC 4013 §3 examples.
    [Theory]
    [InlineData("I\u00ADX", "IX")]
    [InlineData("user", "user")]
    [InlineData("USER", "USER")]
    [InlineData("\u00AA", "a")]
    [InlineData("\u2168", "IX")]
    [InlineData("a\u3000b", "a b")]
    public void TryPrepare_Rfc4013Examples_Mapped(string input, string expected)
    {
        SaslPrep.TryPrepare(input, out var prepared, out _).Should().BeTrue();
        prepared.Should().Be(expected);
    }

    [Theory]
    [InlineData("\u0007")]
    [InlineData("\u00AD")]
    [InlineData("a\uFFFDb")]
    public void TryPrepare_Prohibited_False(string input) =>
        SaslPrep.TryPrepare(input, out _, out var why).Should().BeFalse(why);

    [Fact]
    public void TryPrepare_LoneSurrogate_False() =>
        SaslPrep.TryPrepare("a" + (char)0xDC00, out _, out _).Should().BeFalse();
}
