using Rookery.Cluster.Membership;

namespace Rookery.Cluster.Tests;

/// <summary><c>Cluster:SeedNodes</c> entries: parsing, validation, and the order in which a registry peer is dialled.</summary>
public sealed class SeedNodeTests
{
    [Theory]
    [InlineData("10.0.0.2:5277", null, "10.0.0.2", 5277)]
    [InlineData("node-b=db2.internal:6000", "node-b", "db2.internal", 6000)]
    [InlineData("[::1]:5277", null, "::1", 5277)]
    [InlineData(" n = [fd00::2]:1 ", "n", "fd00::2", 1)]
    public void TryParse_ValidEntry_Parsed(string text, string? name, string host, int port)
    {
        SeedNode.TryParse(text, out var seed).Should().BeTrue();
        seed.Should().Be(new SeedNode(name, host, port));
    }

    [Theory]
    [InlineData("")]
    [InlineData("host")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("host:port")]
    [InlineData(":5277")]
    [InlineData("=host:5277")]
    [InlineData("::1:5277")]
    [InlineData("a host:5277")]
    public void TryParse_BadEntry_False(string text) => SeedNode.TryParse(text, out _).Should().BeFalse();

    [Fact]
    public void Describe_BadSeedEntry_NamesTheIndexedKey()
    {
        var options = new ClusterOptions { Enabled = true, Secret = new string('s', 16), SeedNodes = ["10.0.0.1:5277", "nope"] };

        options.Describe().Should().Be("'Cluster:SeedNodes:1' must be host:port or name=host:port (port 1-65535), not 'nope'");
    }

    [Fact]
    public void DialOrder_NamedEntryFirst_ThenAdvertised_ThenUnnamed_OtherNodesEntriesSkipped()
    {
        var peer = new NodeRecord { Name = "node-b", Host = "b.example", ClusterPort = 5277 };
        var seeds = new[] { "10.0.0.9:5277", "node-c=10.0.0.3:5277", "node-b=10.0.0.2:5277", "b.example:5277" }
            .Select(s => SeedNode.TryParse(s, out var seed) ? seed : throw new InvalidOperationException(s)).ToList();

        SeedNode.DialOrder(peer, seeds).Should().Equal(("10.0.0.2", 5277), ("b.example", 5277), ("10.0.0.9", 5277));
    }

    [Fact]
    public void DialOrder_NoSeeds_AdvertisedOnly()
    {
        var peer = new NodeRecord { Name = "node-b", Host = "b.example", ClusterPort = 5277 };

        SeedNode.DialOrder(peer, []).Should().Equal(("b.example", 5277));
    }
}
