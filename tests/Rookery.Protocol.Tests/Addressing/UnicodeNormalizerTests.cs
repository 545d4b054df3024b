using Rookery.Protocol.Addressing.Unicode;

namespace Rookery.Protocol.Tests.Addressing;

public sealed class UnicodeNormalizerTests
{
    // Expected values from Python's unicodedata.normalize (an independent implementation).
    [Theory]
    [InlineData("e\u0301", "\u00e9")]
    [InlineData("\u1100\u1161\u11a8", "\uac01")]
    [InlineData("a\u0302\u0323", "\u1ead")]
    [InlineData("a\u0323\u0302", "\u1ead")]
    [InlineData("\u212b", "\u00c5")]
    [InlineData("A\u030a\u0328", "\u0104\u030a")]
    [InlineData("\ufb01", "\ufb01")]
    [InlineData("\u0958", "\u0915\u093c")]
    [InlineData("\u0301e", "\u0301e")]
    [InlineData("plain ascii", "plain ascii")]
    [InlineData("\ud834\udd5e", "\ud834\udd57\ud834\udd65")]
    public void ToNfc_MatchesUnicode(string input, string expected) =>
        UnicodeNormalizer.ToNfc(input).Should().Be(expected);

    [Theory]
    [InlineData("\ufb01", "fi")]
    [InlineData("\uff21\uff22\uff43", "ABc")]
    [InlineData("\u2168", "IX")]
    [InlineData("\u00aa", "a")]
    [InlineData("\u1e9b\u0323", "\u1e69")]
    [InlineData("\uac01", "\uac01")]
    public void ToNfkc_MatchesUnicode(string input, string expected) =>
        UnicodeNormalizer.ToNfkc(input).Should().Be(expected);

    [Fact]
    public void Normalize_AlreadyNormalised_ReturnsSameInstance()
    {
        var s = "caf\u00e9 \uac01";
        UnicodeNormalizer.ToNfc(s).Should().BeSameAs(s);
    }

    [Theory]
    [InlineData("\uff2a\uff55", "Ju")]
    [InlineData("\uff76", "\u30ab")]
    [InlineData("\u2168", "\u2168")]
    public void MapWidth_FullAndHalfWidthOnly(string input, string expected) =>
        UnicodeNormalizer.MapWidth(input).Should().Be(expected);
}
