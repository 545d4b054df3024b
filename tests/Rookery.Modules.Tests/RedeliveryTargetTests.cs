using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Modules.Tests;

/// <summary>
/// Where a message goes that a resource may never have seen (XEP-0198 unacknowledged, or queued for a dead cluster
/// node): the cluster's re-routing relies on this as much as the session lifecycle does.
/// </summary>
public sealed class RedeliveryTargetTests
{
    private static readonly Jid Laptop = Jid.Parse("alice@localhost/laptop");

    [Theory]
    [InlineData(null)]
    [InlineData("normal")]
    [InlineData("chat")]
    public void For_ChatOrNormal_BareJid(string? type)
    {
        // Addressed to the gone full JID, a normal message would bounce (RFC 6121 §8.5.3.2.1); XEP-0198 §4 allows
        // offline storage instead, which the bare-JID rules give.
        RedeliveryTarget.For(Message(type), Laptop).Should().Be(Laptop.Bare);
    }

    [Theory]
    [InlineData("groupchat")]
    [InlineData("headline")]
    public void For_GroupchatOrHeadline_KeepsFullJid(string type) =>
        RedeliveryTarget.For(Message(type), Laptop).Should().Be(Laptop);

    private static Element Message(string? type) => new Element("message", Ns.Client).SetAttribute("type", type);
}
