using Rookery.Protocol.Addressing;
using Rookery.Protocol.Sasl;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class Bind2ResourceTests
{
    private static readonly Jid Alice = Jid.Parse("alice@example.com");

    [Fact]
    public void Create_WithTag_TagSlashId()
    {
        var resource = Bind2Resource.Create(Alice, "AwesomeXMPP", null);

        resource.Should().MatchRegex("^AwesomeXMPP/[A-Za-z0-9_-]{12}$");
    }

    [Fact]
    public void Create_SameUserAgent_SameResource_OtherwiseDifferent()
    {
        var agent = Guid.NewGuid().ToString();

        var first = Bind2Resource.Create(Alice, "App", agent);

        Bind2Resource.Create(Alice, "App", agent).Should().Be(first);
        Bind2Resource.Create(Alice, "App", Guid.NewGuid().ToString()).Should().NotBe(first);
        Bind2Resource.Create(Alice, "Other", agent).Should().NotBe("Other/" + first["App/".Length..]);
        Bind2Resource.Create(Jid.Parse("bob@example.com"), "App", agent).Should().NotBe(first);
        Bind2Resource.Create(Alice.WithResource("x"), "App", agent).Should().Be(first, "only the account counts, not a resource");
    }

    [Fact]
    public void Create_WithoutUserAgent_RandomEachTime()
    {
        Bind2Resource.Create(Alice, "App", null).Should().NotBe(Bind2Resource.Create(Alice, "App", null));
    }

    [Fact]
    public void Create_NeverContainsTheUserAgentId()
    {
        const string agent = "d4565fa7";

        Bind2Resource.Create(Alice, null, agent).Should().NotContain(agent);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("bad\u0007tag")]
    [InlineData("a-tag-that-is-far-too-long-to-be-a-short-software-name-for-any-client")]
    public void Create_NoUsableTag_IdAlone(string? tag)
    {
        Bind2Resource.Create(Alice, tag, null).Should().MatchRegex("^[A-Za-z0-9_-]{12}$");
    }
}
