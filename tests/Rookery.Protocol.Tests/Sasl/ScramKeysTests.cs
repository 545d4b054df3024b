using Rookery.Protocol.Sasl;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class ScramKeysTests
{
    [Fact]
    public void Derive_Rfc5802Vector_StoredAndServerKeyMatch()
    {
        // Values computed independently (Python hashlib) from RFC 5802 §5: password "pencil", salt QSXCR+Q6sek8bf92, i=4096.
        var keys = ScramKeys.Derive(ScramHash.Sha1, "pencil", Convert.FromBase64String("QSXCR+Q6sek8bf92"), 4096);

        Convert.ToBase64String(keys.StoredKey).Should().Be("6dlGYMOdZcOPutkcNY8U2g7vK9Y=");
        Convert.ToBase64String(keys.ServerKey).Should().Be("D+CSWLOshSulAsxiupA+qs2/fTE=");
        keys.Iterations.Should().Be(4096);
        keys.Hash.Should().Be(ScramHash.Sha1);
    }

    [Fact]
    public void Derive_Rfc7677Vector_StoredAndServerKeyMatch()
    {
        var keys = ScramKeys.Derive(ScramHash.Sha256, "pencil", Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);

        Convert.ToBase64String(keys.StoredKey).Should().Be("WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=");
        Convert.ToBase64String(keys.ServerKey).Should().Be("wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
    }

    [Fact]
    public void Create_RandomSixteenByteSalt_KeysOfHashSize()
    {
        var a = ScramKeys.Create(ScramHash.Sha512, "pw", 4096);
        var b = ScramKeys.Create(ScramHash.Sha512, "pw", 4096);

        a.Salt.Should().HaveCount(16);
        a.Salt.Should().NotEqual(b.Salt);
        a.StoredKey.Should().HaveCount(64);
        a.ServerKey.Should().HaveCount(64);
        a.StoredKey.Should().NotEqual(b.StoredKey);
    }

    [Fact]
    public void Derive_SaslPrepEquivalentPasswords_SameKeys()
    {
        var salt = new byte[] { 1, 2, 3, 4 };
        var plain = ScramKeys.Derive(ScramHash.Sha256, "I X", salt, 10);

        // U+2168 ROMAN NUMERAL NINE is NFKC "IX"; U+00A0 is mapped to SPACE; U+00AD is mapped to nothing (RFC 4013 §2).
        ScramKeys.Derive(ScramHash.Sha256, "I\u00A0X", salt, 10).StoredKey.Should().Equal(plain.StoredKey);
        ScramKeys.Derive(ScramHash.Sha256, "I \u00ADX", salt, 10).StoredKey.Should().Equal(plain.StoredKey);
        ScramKeys.Derive(ScramHash.Sha256, "\u2168", salt, 10).StoredKey.Should().Equal(ScramKeys.Derive(ScramHash.Sha256, "IX", salt, 10).StoredKey);
    }

    [Theory]
    [InlineData("")]
    [InlineData("pass\u0007word")]
    [InlineData("pass\u0085word")]
    [InlineData("\u200E")]
    [InlineData("\uE000")]
    public void Derive_ProhibitedPassword_Throws(string password)
    {
        var act = () => ScramKeys.Derive(ScramHash.Sha256, password, [1, 2, 3], 10);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Derive_BadParameters_Throw()
    {
        FluentActions.Invoking(() => ScramKeys.Derive(ScramHash.Sha256, "pw", [], 10)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => ScramKeys.Derive(ScramHash.Sha256, "pw", [1], 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void VerifyPassword_RightAndWrong()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "secret", 100);

        keys.VerifyPassword("secret").Should().BeTrue();
        keys.VerifyPassword("Secret").Should().BeFalse();
        keys.VerifyPassword("secret\u0001").Should().BeFalse();
    }

    [Theory]
    [InlineData(ScramHash.Sha1)]
    [InlineData(ScramHash.Sha256)]
    [InlineData(ScramHash.Sha512)]
    public void MatchesPassword_AgreesWithTheStoredKey(ScramHash hash)
    {
        var keys = ScramKeys.Create(hash, "p\u00e4ssw\u00f6rd", 100);

        ScramKeys.MatchesPassword(hash, "p\u00e4ssw\u00f6rd", keys.Salt, keys.Iterations, keys.StoredKey).Should().BeTrue();
        ScramKeys.MatchesPassword(hash, "passwort", keys.Salt, keys.Iterations, keys.StoredKey).Should().BeFalse();
        ScramKeys.MatchesPassword(hash, "p\u00e4ssw\u00f6rd", keys.Salt, keys.Iterations + 1, keys.StoredKey).Should().BeFalse();
        ScramKeys.MatchesPassword(hash, "secret\u0001", keys.Salt, keys.Iterations, keys.StoredKey).Should().BeFalse();
        ScramKeys.MatchesPassword(hash, new string('x', 300), keys.Salt, keys.Iterations, keys.StoredKey).Should().BeFalse();
    }

    [Theory]
    [InlineData(ScramHash.Sha1, false, "SCRAM-SHA-1", "SHA-1")]
    [InlineData(ScramHash.Sha1, true, "SCRAM-SHA-1-PLUS", "SHA-1")]
    [InlineData(ScramHash.Sha256, false, "SCRAM-SHA-256", "SHA-256")]
    [InlineData(ScramHash.Sha256, true, "SCRAM-SHA-256-PLUS", "SHA-256")]
    [InlineData(ScramHash.Sha512, false, "SCRAM-SHA-512", "SHA-512")]
    [InlineData(ScramHash.Sha512, true, "SCRAM-SHA-512-PLUS", "SHA-512")]
    public void ScramHash_NamesRoundTrip(ScramHash hash, bool plus, string mechanism, string hashName)
    {
        hash.MechanismName(plus).Should().Be(mechanism);
        hash.HashName().Should().Be(hashName);
        ScramHashExtensions.ParseHashName(hashName).Should().Be(hash);
        ScramHashExtensions.TryParseMechanism(mechanism, out var parsed, out var parsedPlus).Should().BeTrue();
        parsed.Should().Be(hash);
        parsedPlus.Should().Be(plus);
    }

    [Theory]
    [InlineData("SCRAM-MD5")]
    [InlineData("scram-sha-1")]
    [InlineData("PLAIN")]
    [InlineData(null)]
    public void TryParseMechanism_Unknown_False(string? mechanism) =>
        ScramHashExtensions.TryParseMechanism(mechanism, out _, out _).Should().BeFalse();

    [Fact]
    public void ParseHashName_Unknown_Throws() =>
        FluentActions.Invoking(() => ScramHashExtensions.ParseHashName("MD5")).Should().Throw<FormatException>();

    [Theory]
    [InlineData(SaslFailure.NotAuthorized, "not-authorized")]
    [InlineData(SaslFailure.MalformedRequest, "malformed-request")]
    [InlineData(SaslFailure.TemporaryAuthFailure, "temporary-auth-failure")]
    [InlineData(SaslFailure.Aborted, "aborted")]
    [InlineData(SaslFailure.InvalidAuthzid, "invalid-authzid")]
    public void SaslFailure_WireNamesRoundTrip(SaslFailure failure, string wire)
    {
        failure.ToWireName().Should().Be(wire);
        SaslFailureExtensions.ParseSaslFailure(wire).Should().Be(failure);
    }

    [Fact]
    public void SaslFailure_EveryValueHasDistinctWireName() =>
        Enum.GetValues<SaslFailure>().Select(f => f.ToWireName()).Should().OnlyHaveUniqueItems().And.HaveCount(11);
}
