using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;
using Rookery.Storage;

namespace Rookery.Modules.Tests.Pubsub;

/// <summary>The privileges of each affiliation under each access and publish model (XEP-0060 §4.1, §4.5).</summary>
public sealed class NodeAccessTests
{
    private static readonly NodeConfiguration Open = NodeConfiguration.Default;
    private static readonly NodeConfiguration Whitelist = NodeConfiguration.Default with { Access = AccessModel.Whitelist };

    [Theory]
    [InlineData(Affiliation.Owner, null)]
    [InlineData(Affiliation.Publisher, null)]
    [InlineData(Affiliation.Member, null)]
    [InlineData(Affiliation.None, null)]
    [InlineData(Affiliation.PublishOnly, StanzaErrorCondition.Forbidden)]
    [InlineData(Affiliation.Outcast, StanzaErrorCondition.Forbidden)]
    public void RefuseAccess_OpenNode(Affiliation affiliation, StanzaErrorCondition? refusal)
    {
        NodeAccess.RefuseAccess(Open, affiliation)?.Condition.Should().Be(refusal);
        (NodeAccess.RefuseAccess(Open, affiliation) is null).Should().Be(refusal is null);
    }

    [Theory]
    [InlineData(Affiliation.Owner, null)]
    [InlineData(Affiliation.Publisher, null)]
    [InlineData(Affiliation.Member, null)]
    [InlineData(Affiliation.None, StanzaErrorCondition.NotAllowed)]
    [InlineData(Affiliation.PublishOnly, StanzaErrorCondition.Forbidden)]
    [InlineData(Affiliation.Outcast, StanzaErrorCondition.Forbidden)]
    public void RefuseAccess_WhitelistNode(Affiliation affiliation, StanzaErrorCondition? refusal)
    {
        var error = NodeAccess.RefuseAccess(Whitelist, affiliation);

        (error is null).Should().Be(refusal is null);
        error?.Condition.Should().Be(refusal);
        if (refusal == StanzaErrorCondition.NotAllowed)
        {
            // §6.1.3: not on the whitelist is closed-node.
            error!.ApplicationCondition!.Name.Should().Be("closed-node");
            error.ApplicationCondition.Namespace.Should().Be(PubsubErrors.Namespace);
        }
    }

    [Theory]
    [InlineData(Subscription.From, true)]
    [InlineData(Subscription.Both, true)]
    [InlineData(Subscription.To, false)]
    [InlineData(Subscription.None, false)]
    public void RefuseAccess_PresenceNode_AllowsWhoeverReceivesAnOwnersPresence(Subscription subscription, bool allowed)
    {
        var presence = Open with { Access = AccessModel.Presence };
        var item = new RosterItem("bob@example.com", null, subscription, false, []);

        var error = NodeAccess.RefuseAccess(presence, Affiliation.None, [item]);

        (error is null).Should().Be(allowed);
        if (!allowed)
        {
            // §6.1.3.2.
            error!.Condition.Should().Be(StanzaErrorCondition.NotAuthorized);
            error.ApplicationCondition!.Name.Should().Be("presence-subscription-required");
        }
    }

    [Fact]
    public void RefuseAccess_PresenceOrRosterNode_NoRosterItem_NotAuthorized_AffiliatesPass()
    {
        foreach (var model in new[] { AccessModel.Presence, AccessModel.Roster })
        {
            var config = Open with { Access = model, RosterGroupsAllowed = ["Friends"] };

            NodeAccess.RefuseAccess(config, Affiliation.None)!.Condition.Should().Be(StanzaErrorCondition.NotAuthorized);
            NodeAccess.RefuseAccess(config, Affiliation.None, [])!.Condition.Should().Be(StanzaErrorCondition.NotAuthorized);
            NodeAccess.RefuseAccess(config, Affiliation.Member).Should().BeNull();
            NodeAccess.RefuseAccess(config, Affiliation.Owner).Should().BeNull();
            NodeAccess.RefuseAccess(config, Affiliation.Outcast)!.Condition.Should().Be(StanzaErrorCondition.Forbidden);
        }
    }

    [Fact]
    public void RefuseAccess_AuthorizeNode_OnlyApprovedSubscribersAndAffiliates()
    {
        var authorize = Open with { Access = AccessModel.Authorize };

        var error = NodeAccess.RefuseAccess(authorize, Affiliation.None);
        error!.Condition.Should().Be(StanzaErrorCondition.NotAuthorized);
        error.ApplicationCondition!.Name.Should().Be("not-subscribed");
        NodeAccess.RefuseAccess(authorize, Affiliation.None, approvedSubscriber: true).Should().BeNull();
        NodeAccess.RefuseAccess(authorize, Affiliation.Member).Should().BeNull();
        NodeAccess.RefuseAccess(authorize, Affiliation.Outcast, approvedSubscriber: true)!.Condition.Should().Be(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public void RefuseAccess_RosterNode_AllowsContactsInAnAllowedGroupOfAnyOwner()
    {
        var roster = Open with { Access = AccessModel.Roster, RosterGroupsAllowed = ["Friends", "Family"] };
        var colleague = new RosterItem("bob@example.com", null, Subscription.Both, false, ["Work"]);
        var friend = new RosterItem("bob@example.com", null, Subscription.None, false, ["Work", "Family"]);

        var error = NodeAccess.RefuseAccess(roster, Affiliation.None, [colleague]);
        error!.Condition.Should().Be(StanzaErrorCondition.NotAuthorized);
        error.ApplicationCondition!.Name.Should().Be("not-in-roster-group", "§6.1.3.3");
        NodeAccess.RefuseAccess(roster, Affiliation.None, [colleague, friend]).Should().BeNull("one owner's roster has the contact in an allowed group");
        NodeAccess.RefuseAccess(roster with { RosterGroupsAllowed = [] }, Affiliation.None, [friend])!.Condition.Should().Be(StanzaErrorCondition.NotAuthorized);
    }

    [Theory]
    [InlineData(PublishModel.Publishers, Affiliation.Owner, false, true)]
    [InlineData(PublishModel.Publishers, Affiliation.Publisher, false, true)]
    [InlineData(PublishModel.Publishers, Affiliation.PublishOnly, false, true)]
    [InlineData(PublishModel.Publishers, Affiliation.Member, true, false)]
    [InlineData(PublishModel.Publishers, Affiliation.None, true, false)]
    [InlineData(PublishModel.Subscribers, Affiliation.None, true, true)]
    [InlineData(PublishModel.Subscribers, Affiliation.None, false, false)]
    [InlineData(PublishModel.Subscribers, Affiliation.Outcast, true, false)]
    [InlineData(PublishModel.Open, Affiliation.None, false, true)]
    [InlineData(PublishModel.Open, Affiliation.Outcast, false, false)]
    public void MayPublish(PublishModel model, Affiliation affiliation, bool subscribed, bool allowed) =>
        NodeAccess.MayPublish(Open with { Publish = model }, affiliation, subscribed).Should().Be(allowed);

    [Theory]
    [InlineData(Affiliation.Owner, false, true)]
    [InlineData(Affiliation.Publisher, false, true)]
    [InlineData(Affiliation.PublishOnly, false, false)]
    [InlineData(Affiliation.PublishOnly, true, true)]
    [InlineData(Affiliation.None, true, true)]
    [InlineData(Affiliation.Member, false, false)]
    [InlineData(Affiliation.Outcast, true, false)]
    public void MayRetract(Affiliation affiliation, bool ownItem, bool allowed) =>
        NodeAccess.MayRetract(affiliation, ownItem).Should().Be(allowed);

    [Theory]
    [InlineData("owner", Affiliation.Owner)]
    [InlineData("publisher", Affiliation.Publisher)]
    [InlineData("publish-only", Affiliation.PublishOnly)]
    [InlineData("member", Affiliation.Member)]
    [InlineData("none", Affiliation.None)]
    [InlineData("outcast", Affiliation.Outcast)]
    public void Affiliations_NamesRoundTrip(string name, Affiliation affiliation)
    {
        Affiliations.TryParse(name, out var parsed).Should().BeTrue();
        parsed.Should().Be(affiliation);
        Affiliations.Name(affiliation).Should().Be(name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("admin")]
    [InlineData("Owner")]
    public void Affiliations_UnknownName_NotParsed(string? name) => Affiliations.TryParse(name, out _).Should().BeFalse();

    [Fact]
    public void Options_DefaultsValid_BadValuesNamed()
    {
        var options = new PubsubOptions();

        options.Validate().Should().BeEmpty();
        options.ServiceFor("example.com").Should().Be("pubsub.example.com");
        options.NodeCreation.Should().Be(NodeCreation.Users);
        new PubsubOptions { Subdomain = "a/b" }.Validate().Select(p => p.Key).Should().Equal("Subdomain");
        new PubsubOptions { MaxItems = 0, MaxPayloadBytes = 10, MaxNodesPerOwner = 0, MaxSubscriptionsPerJid = 0 }.Validate().Select(p => p.Key)
            .Should().Equal("MaxItems", "MaxPayloadBytes", "MaxNodesPerOwner", "MaxSubscriptionsPerJid");
        new PubsubOptions { NodeCreation = (NodeCreation)7 }.Validate().Select(p => p.Key).Should().Equal("NodeCreation");
    }
}
