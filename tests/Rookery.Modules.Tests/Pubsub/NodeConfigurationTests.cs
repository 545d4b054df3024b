using Rookery.Modules.DataForms;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;

namespace Rookery.Modules.Tests.Pubsub;

/// <summary>The pubsub#node_config form of the pubsub service: defaults, submitted forms, storage and publish options.</summary>
public sealed class NodeConfigurationTests
{
    private static DataForm Submit(params (string Var, string Value)[] fields)
    {
        var form = new DataForm("submit").WithFormType(NodeConfiguration.FormType);
        foreach (var (name, value) in fields)
        {
            form.AddField(name).Values.Add(value);
        }

        return form;
    }

    [Fact]
    public void Default_OpenPublishersTenItemsPayloadsNoLastItem()
    {
        var config = NodeConfiguration.Default;

        config.Access.Should().Be(AccessModel.Open);
        config.Publish.Should().Be(PublishModel.Publishers);
        config.MaxItems.Should().Be(10);
        (config.PersistItems, config.DeliverPayloads, config.DeliverNotifications, config.NotifyDelete, config.NotifyRetract, config.NotifyConfig).Should().Be((true, true, true, true, true, false));
        config.SendsLastOnSubscribe.Should().BeFalse();
        config.NotificationType.Should().Be("headline");
    }

    [Fact]
    public void With_EveryField_Applied()
    {
        var config = NodeConfiguration.Default.With(Submit(
            ("pubsub#title", "News"), ("pubsub#description", "Daily news"), ("pubsub#node_type", "leaf"), ("pubsub#access_model", "whitelist"),
            ("pubsub#publish_model", "open"), ("pubsub#max_items", "max"), ("pubsub#persist_items", "false"), ("pubsub#deliver_payloads", "0"),
            ("pubsub#deliver_notifications", "true"), ("pubsub#notify_config", "1"), ("pubsub#notify_delete", "0"), ("pubsub#notify_retract", "0"),
            ("pubsub#send_last_published_item", "on_sub"), ("pubsub#itemreply", "publisher"), ("pubsub#type", "urn:x"), ("pubsub#notification_type", "normal")));
        var groups = Submit();
        groups.AddField("pubsub#roster_groups_allowed").Values.AddRange(["Friends", "", "Family", "Friends"]);
        config = config.With(groups);

        config.Should().Be(new NodeConfiguration(
            "News", "Daily news", AccessModel.Whitelist, PublishModel.Open, null, false, false, true, true, false, false, "on_sub", "publisher", "urn:x", "normal", ["Family", "Friends"]));
        config.RosterGroupsAllowed.Should().Equal(["Friends", "Family"], "empty and repeated groups are dropped");
        config.EffectiveMaxItems(256).Should().Be(256);
    }

    [Theory]
    [InlineData("pubsub#access_model", "martian")]
    [InlineData("pubsub#publish_model", "everyone")]
    [InlineData("pubsub#max_items", "0")]
    [InlineData("pubsub#max_items", "-3")]
    [InlineData("pubsub#max_items", "ten")]
    [InlineData("pubsub#persist_items", "yes")]
    [InlineData("pubsub#send_last_published_item", "on_sub_and_presence")]
    [InlineData("pubsub#node_type", "collection")]
    [InlineData("pubsub#notification_type", "chat")]
    [InlineData("pubsub#children", "a")]
    public void With_UnsupportedValueOrField_NotAcceptable(string field, string value)
    {
        var act = () => NodeConfiguration.Default.With(Submit((field, value)));

        act.Should().Throw<StanzaErrorException>().Which.Condition.Should().Be(StanzaErrorCondition.NotAcceptable);
    }

    [Theory]
    [InlineData("presence", AccessModel.Presence)]
    [InlineData("roster", AccessModel.Roster)]
    [InlineData("authorize", AccessModel.Authorize)]
    public void With_PresenceRosterAndAuthorizeAccessModels_Applied(string value, AccessModel model) =>
        NodeConfiguration.Default.With(Submit(("pubsub#access_model", value))).Access.Should().Be(model);

    [Fact]
    public void With_RosterGroupHoldingLineFeed_NotAcceptable()
    {
        // The stored form joins the groups with line feeds.
        var act = () => NodeConfiguration.Default.With(Submit(("pubsub#roster_groups_allowed", "a\nb")));

        act.Should().Throw<StanzaErrorException>().Which.Condition.Should().Be(StanzaErrorCondition.NotAcceptable);
    }

    [Fact]
    public void Stored_RoundTrips_AndUnknownStoredValueFallsBackToDefault()
    {
        var config = NodeConfiguration.Default with { Title = "T", Access = AccessModel.Whitelist, MaxItems = null, ItemReply = "publisher" };
        var roster = NodeConfiguration.Default with { Access = AccessModel.Roster, RosterGroupsAllowed = ["Friends", "Work mates"] };

        NodeConfiguration.FromStored(config.ToStored()).Should().Be(config);
        NodeConfiguration.FromStored(roster.ToStored()).RosterGroupsAllowed.Should().Equal("Friends", "Work mates");
        NodeConfiguration.FromStored(roster.ToStored()).Should().Be(roster);
        NodeConfiguration.FromStored(new Dictionary<string, string>()).Should().Be(NodeConfiguration.Default);
        NodeConfiguration.FromStored(new Dictionary<string, string> { ["pubsub#access_model"] = "martian" }).Should().Be(NodeConfiguration.Default);
    }

    [Fact]
    public void UnmetPreconditions_NamesEachMismatchAndUnknownOption()
    {
        var config = NodeConfiguration.Default with { Access = AccessModel.Whitelist };
        var options = new DataForm("submit").WithFormType(NodeConfiguration.PublishOptionsFormType);
        options.AddField("pubsub#access_model").Values.Add("whitelist");
        options.AddField("pubsub#max_items").Values.Add("10");

        config.UnmetPreconditions(options).Should().BeEmpty();
        options.AddField("pubsub#persist_items").Values.Add("0");
        options.AddField("pubsub#unknown").Values.Add("x");
        config.UnmetPreconditions(options).Should().Equal("pubsub#persist_items", "pubsub#unknown");
    }

    [Fact]
    public void ToForm_CarriesFormTypeAndEveryFieldWithOptions()
    {
        var form = DataForm.Parse(NodeConfiguration.Default.ToForm("form"));

        form.Type.Should().Be("form");
        form.FormType.Should().Be(NodeConfiguration.FormType);
        form.Value("pubsub#access_model").Should().Be("open");
        form.Value("pubsub#max_items").Should().Be("10");
        form.Value("pubsub#deliver_payloads").Should().Be("1");
        // The access models a client may pick (XEP-0060 §16.4).
        var access = NodeConfiguration.Default.ToForm("form").Elements().Single(f => f.GetAttribute("var") == "pubsub#access_model");
        access.Elements().Where(e => e.Name == "option").Select(o => o.ChildText("value", DataForm.Namespace)).Should().Equal("authorize", "open", "presence", "roster", "whitelist");
        form.Fields.Single(f => f.Var == "pubsub#roster_groups_allowed").Type.Should().Be("list-multi");
        form.Fields.Select(f => f.Var).Should().Contain(["pubsub#title", "pubsub#notify_retract", "pubsub#itemreply", "pubsub#type"]);
        NodeConfiguration.Default.With(form).Should().Be(NodeConfiguration.Default, "a form read back gives the same configuration");
    }
}
