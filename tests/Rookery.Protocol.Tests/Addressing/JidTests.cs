using Rookery.Protocol.Addressing;

namespace Rookery.Protocol.Tests.Addressing;

public sealed class JidTests
{
    [Theory]
    [InlineData("User@Example.COM/Res", "user", "example.com", "Res", "user@example.com/Res")]
    [InlineData("juliet@example.com", "juliet", "example.com", null, "juliet@example.com")]
    [InlineData("example.com", null, "example.com", null, "example.com")]
    [InlineData("example.com/foo", null, "example.com", "foo", "example.com/foo")]
    [InlineData("juliet@example.com/a@b/c d", "juliet", "example.com", "a@b/c d", "juliet@example.com/a@b/c d")]
    [InlineData("example.com/user@host", null, "example.com", "user@host", "example.com/user@host")]
    [InlineData("juliet@example.com./r", "juliet", "example.com", "r", "juliet@example.com/r")]
    [InlineData("juliet@127.0.0.1", "juliet", "127.0.0.1", null, "juliet@127.0.0.1")]
    [InlineData("juliet@[::1]/r", "juliet", "[::1]", "r", "juliet@[::1]/r")]
    [InlineData("juliet@[0:0::1]", "juliet", "[::1]", null, "juliet@[::1]")]
    [InlineData("juliet@[2001:DB8::1]", "juliet", "[2001:db8::1]", null, "juliet@[2001:db8::1]")]
    [InlineData("ＪＵＬＩＥＴ@example.com", "juliet", "example.com", null, "juliet@example.com")]
    [InlineData("Ｊuliet@ＥＸＡＭＰＬＥ.com", "juliet", "example.com", null, "juliet@example.com")]
    [InlineData("ΣΑΣ@example.com", "σασ", "example.com", null, "σασ@example.com")]
    [InlineData("jüliet@münchen.de", "jüliet", "münchen.de", null, "jüliet@münchen.de")]
    [InlineData("ju\u0308liet@MU\u0308NCHEN.DE", "jüliet", "münchen.de", null, "jüliet@münchen.de")]
    [InlineData("juliet@xn--mnchen-3ya.de", "juliet", "münchen.de", null, "juliet@münchen.de")]
    [InlineData("juliet@example.com/Caf\u0065\u0301", "juliet", "example.com", "Caf\u00e9", "juliet@example.com/Caf\u00e9")]
    [InlineData("juliet@example.com/a\u00A0b", "juliet", "example.com", "a b", "juliet@example.com/a b")]
    [InlineData("juliet@example.com/♚ RESOURCE", "juliet", "example.com", "♚ RESOURCE", "juliet@example.com/♚ RESOURCE")]
    [InlineData("a.b-c_d+e@sub.example.com", "a.b-c_d+e", "sub.example.com", null, "a.b-c_d+e@sub.example.com")]
    public void Parse_Valid_NormalisedParts(string text, string? local, string domain, string? resource, string canonical)
    {
        var jid = Jid.Parse(text);

        jid.Local.Should().Be(local);
        jid.Domain.Should().Be(domain);
        jid.Resource.Should().Be(resource);
        jid.ToString().Should().Be(canonical);
        Jid.Parse(canonical).Should().Be(jid);
    }

    [Theory]
    [InlineData("", "domainpart is empty")]
    [InlineData("@example.com", "localpart is empty")]
    [InlineData("juliet@", "domainpart is empty")]
    [InlineData("juliet@example.com/", "resourcepart is empty")]
    [InlineData("/res", "domainpart is empty")]
    [InlineData("a@b@c", "domainpart")]
    [InlineData("ju liet@example.com", "localpart")]
    [InlineData("ju\"liet@example.com", "localpart")]
    [InlineData("ju&liet@example.com", "localpart")]
    [InlineData("ju'liet@example.com", "localpart")]
    [InlineData("ju:liet@example.com", "localpart")]
    [InlineData("ju<liet@example.com", "localpart")]
    [InlineData("ju>liet@example.com", "localpart")]
    [InlineData("ju\u0001liet@example.com", "localpart")]
    [InlineData("ju\u00A0liet@example.com", "localpart")]
    [InlineData("ju\u2603liet@example.com", "localpart")]
    [InlineData("\ufb01@example.com", "compatibility")]
    [InlineData("juliet@exa mple.com", "domainpart")]
    [InlineData("juliet@exa_mple.com", "domainpart")]
    [InlineData("juliet@-example.com", "domainpart")]
    [InlineData("juliet@example..com", "domainpart")]
    [InlineData("juliet@.", "domainpart")]
    [InlineData("juliet@[::1", "IPv6")]
    [InlineData("juliet@[127.0.0.1]", "IPv6")]
    [InlineData("juliet@[fe80::1%eth0]", "IPv6")]
    [InlineData("juliet@example.com/a\u0007b", "resourcepart")]
    [InlineData("juliet@example.com/a\u200Eb", "resourcepart")]
    [InlineData("juliet@example.com/a\uFFFFb", "resourcepart")]
    public void Parse_Invalid_FormatExceptionSaysWhy(string text, string reason)
    {
        var act = () => Jid.Parse(text);

        act.Should().Throw<FormatException>().WithMessage($"*{reason}*");
        Jid.TryParse(text, out var jid).Should().BeFalse();
        jid.Should().BeNull();
    }

    [Fact]
    public void Parse_LoneSurrogate_Rejected()
    {
        // Built in code: xunit would replace a lone surrogate in InlineData with U+FFFD.
        var lone = "a" + (char)0xD800 + "b";

        Jid.TryParse("juliet@example.com/" + lone, out _).Should().BeFalse();
        Jid.TryParse(lone + "@example.com", out _).Should().BeFalse();
        Jid.TryParse("juliet@" + lone + ".com", out _).Should().BeFalse();
        Jid.TryParse("juliet@example.com/a\uFFFDb", out _).Should().BeTrue();
    }

    [Fact]
    public void TryParse_Null_False() => Jid.TryParse(null, out _).Should().BeFalse();

    [Fact]
    public void Parse_LabelOf64Characters_Rejected()
    {
        Jid.TryParse("juliet@" + new string('a', 64) + ".com", out _).Should().BeFalse();
        Jid.TryParse("juliet@" + new string('a', 63) + ".com", out _).Should().BeTrue();
    }

    [Fact]
    public void Parse_PartLengthLimit_1023Utf8Octets()
    {
        Jid.Parse(new string('a', 1023) + "@example.com").Local.Should().HaveLength(1023);
        Jid.TryParse(new string('a', 1024) + "@example.com", out _).Should().BeFalse();

        Jid.Parse("example.com/" + new string('r', 1023)).Resource.Should().HaveLength(1023);
        Jid.TryParse("example.com/" + new string('r', 1024), out _).Should().BeFalse();

        // 341 × "é" is 682 octets, 512 × "é" is 1024: the limit counts UTF-8 octets, not characters.
        Jid.TryParse(new string('é', 511) + "@example.com", out _).Should().BeTrue();
        Jid.TryParse(new string('é', 512) + "@example.com", out _).Should().BeFalse();
        Jid.TryParse("example.com/" + new string('é', 512), out _).Should().BeFalse();
    }

    [Fact]
    public void Parse_CanonicalAscii_ReusesInputAsToString()
    {
        const string text = "juliet@example.com/balcony";
        var jid = Jid.Parse(text);

        jid.ToString().Should().BeSameAs(text);
        Jid.Parse("Juliet@example.com/balcony").ToString().Should().NotBeSameAs(text).And.Be(text);
    }

    [Fact]
    public void Parse_CanonicalAscii_AllocatesOnlyPartsAndJid()
    {
        const string text = "juliet@example.com/balcony";
        _ = Jid.Parse(text);
        var before = GC.GetAllocatedBytesForCurrentThread();
        _ = Jid.Parse(text);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Three part strings (~32, ~48, ~40 bytes) plus the Jid object (~56 bytes); a formatted copy would add ~80.
        allocated.Should().BeLessThan(200);
    }

    [Fact]
    public void Equality_ByNormalisedValue()
    {
        var a = Jid.Parse("Juliet@Example.com/Balcony");
        var b = Jid.Parse("juliet@example.com./Balcony");
        var c = Jid.Parse("juliet@example.com/balcony");

        a.Should().Be(b);
        (a == b).Should().BeTrue();
        (a != b).Should().BeFalse();
        a.GetHashCode().Should().Be(b.GetHashCode());
        a.Equals((object)b).Should().BeTrue();
        a.Should().NotBe(c);
        (a == c).Should().BeFalse();
        (a != c).Should().BeTrue();
        Jid.Parse("example.com").Should().NotBe(Jid.Parse("example.com/x"));
        Jid.Parse("a@example.com").Should().NotBe(Jid.Parse("example.com/a"));
        ((Jid?)null == null).Should().BeTrue();
        a.Equals(null).Should().BeFalse();
        (a == null).Should().BeFalse();
    }

    [Fact]
    public void Equality_UsableAsDictionaryKey()
    {
        var routes = new Dictionary<Jid, int> { [Jid.Parse("juliet@example.com/balcony")] = 1 };

        routes[Jid.Create("JULIET", "EXAMPLE.com", "balcony")].Should().Be(1);
        routes.ContainsKey(Jid.Parse("juliet@example.com/Balcony")).Should().BeFalse();
    }

    [Fact]
    public void Bare_CachedAndWithoutResource()
    {
        var full = Jid.Parse("juliet@example.com/balcony");

        full.IsBare.Should().BeFalse();
        full.Bare.Should().BeSameAs(full.Bare);
        full.Bare.ToString().Should().Be("juliet@example.com");
        full.Bare.IsBare.Should().BeTrue();
        full.Bare.Bare.Should().BeSameAs(full.Bare);

        var bare = Jid.Parse("juliet@example.com");
        bare.Bare.Should().BeSameAs(bare);
        full.Bare.Should().Be(bare);
    }

    [Fact]
    public void IsDomain_TrueOnlyWithoutLocalpart()
    {
        Jid.Parse("example.com").IsDomain.Should().BeTrue();
        Jid.Parse("example.com/res").IsDomain.Should().BeTrue();
        Jid.Parse("juliet@example.com").IsDomain.Should().BeFalse();
    }

    [Fact]
    public void WithResource_PreparesResource()
    {
        var jid = Jid.Parse("juliet@example.com/old").WithResource("Caf\u0065\u0301\u3000x");

        jid.Resource.Should().Be("Caf\u00e9 x");
        jid.ToString().Should().Be("juliet@example.com/Caf\u00e9 x");
        jid.Bare.Should().Be(Jid.Parse("juliet@example.com"));
        FluentActions.Invoking(() => jid.WithResource("")).Should().Throw<FormatException>();
        FluentActions.Invoking(() => jid.WithResource("a\u0000")).Should().Throw<FormatException>();
    }

    [Fact]
    public void Create_PreparesEachPart()
    {
        var jid = Jid.Create("Juliet", "Example.COM.", "Res/with@");

        jid.ToString().Should().Be("juliet@example.com/Res/with@");
        Jid.Create(null, "example.com").ToString().Should().Be("example.com");
        FluentActions.Invoking(() => Jid.Create("", "example.com")).Should().Throw<FormatException>();
        FluentActions.Invoking(() => Jid.Create("a@b", "example.com")).Should().Throw<FormatException>();
        FluentActions.Invoking(() => Jid.Create("a", "exa mple.com")).Should().Throw<FormatException>();
        FluentActions.Invoking(() => Jid.Create("a", "example.com", "")).Should().Throw<FormatException>();
    }
}
