using Rookery.Modules.Blocking;
using Rookery.Protocol.Addressing;

namespace Rookery.Modules.Tests;

/// <summary>JID matching of block list items (XEP-0191 §6, the order of XEP-0016 §2.1).</summary>
public sealed class BlockListTests
{
    [Theory]
    // user@domain/resource: only that resource.
    [InlineData("bob@example.net/phone", "bob@example.net/phone", true)]
    [InlineData("bob@example.net/phone", "bob@example.net/desk", false)]
    [InlineData("bob@example.net/phone", "bob@example.net", false)]
    // user@domain: the bare JID and any of its resources.
    [InlineData("bob@example.net", "bob@example.net", true)]
    [InlineData("bob@example.net", "bob@example.net/phone", true)]
    [InlineData("bob@example.net", "carol@example.net/phone", false)]
    [InlineData("bob@example.net", "example.net", false)]
    // domain/resource: only that address.
    [InlineData("example.net/bot", "example.net/bot", true)]
    [InlineData("example.net/bot", "example.net", false)]
    [InlineData("example.net/bot", "bob@example.net/bot", false)]
    // domain: the domain itself and every address at it, but not a subdomain or another domain.
    [InlineData("example.net", "example.net", true)]
    [InlineData("example.net", "example.net/bot", true)]
    [InlineData("example.net", "bob@example.net", true)]
    [InlineData("example.net", "bob@example.net/phone", true)]
    [InlineData("example.net", "bob@chat.example.net", false)]
    [InlineData("example.net", "bob@example.org", false)]
    // Items and addresses are compared prepared: case of the local part and domain does not matter.
    [InlineData("Bob@Example.NET", "bob@example.net/phone", true)]
    public void Blocks_FollowsTheMatchingRules(string item, string address, bool blocked)
    {
        var list = new BlockList([Jid.Parse(item)]);

        list.Blocks(Jid.Parse(address)).Should().Be(blocked);
    }

    [Fact]
    public void Blocks_EmptyList_NothingAndContainsNothing()
    {
        BlockList.Empty.IsEmpty.Should().BeTrue();
        BlockList.Empty.Blocks(Jid.Parse("bob@example.net/phone")).Should().BeFalse();
        BlockList.Empty.Contains(Jid.Parse("example.net")).Should().BeFalse();
    }

    [Fact]
    public void Contains_OnlyTheItemsThemselves()
    {
        var list = new BlockList([Jid.Parse("example.net"), Jid.Parse("bob@example.org")]);

        list.Contains(Jid.Parse("example.net")).Should().BeTrue();
        list.Contains(Jid.Parse("bob@example.org")).Should().BeTrue();
        // Matched by an item, but not an item itself.
        list.Contains(Jid.Parse("carol@example.net")).Should().BeFalse();
        list.Contains(Jid.Parse("bob@example.org/phone")).Should().BeFalse();
    }
}
