namespace Rookery.Storage.Tests;

/// <content>Personal eventing nodes and items (XEP-0163 on XEP-0060).</content>
public abstract partial class StorageContractTests
{
    private static readonly Dictionary<string, string> OpenConfig = new() { ["pubsub#access_model"] = "open", ["pubsub#max_items"] = "10" };

    private static PubsubItem PubItem(string id, int second = 0, string payload = "<x xmlns='urn:test'/>") =>
        new(id, "alice@example.org/phone", new DateTimeOffset(2026, 12, 6, 12, 0, second, 123, TimeSpan.Zero), payload);

    [StorageFact]
    public async Task Pubsub_NoNodes_IsEmpty()
    {
        (await Storage.Pubsub.GetNodesAsync(Alice)).Should().BeEmpty();
        (await Storage.Pubsub.GetNodeAsync(Alice, "urn:xmpp:avatar:data")).Should().BeNull();
        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:xmpp:avatar:data", null)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Pubsub_CreateNode_KeepsConfigAndRefusesDuplicate()
    {
        (await Storage.Pubsub.CreateNodeAsync(Alice, "urn:b", OpenConfig)).Should().BeTrue();
        (await Storage.Pubsub.CreateNodeAsync(Alice, "urn:a", new Dictionary<string, string>())).Should().BeTrue();
        (await Storage.Pubsub.CreateNodeAsync(Alice, "urn:b", new Dictionary<string, string> { ["pubsub#access_model"] = "presence" })).Should().BeFalse();

        var node = await Storage.Pubsub.GetNodeAsync(Alice, "urn:b");
        node!.Config.Should().BeEquivalentTo(OpenConfig);
        (await Storage.Pubsub.GetNodesAsync(Alice)).Select(n => n.Name).Should().Equal("urn:a", "urn:b");
        (await Storage.Pubsub.GetNodesAsync(Bob)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Pubsub_ConfigureNode_ReplacesConfigOnlyWhenNodeExists()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        var replaced = new Dictionary<string, string> { ["pubsub#access_model"] = "whitelist" };

        (await Storage.Pubsub.ConfigureNodeAsync(Alice, "urn:n", replaced)).Should().BeTrue();
        (await Storage.Pubsub.ConfigureNodeAsync(Alice, "urn:missing", replaced)).Should().BeFalse();

        (await Storage.Pubsub.GetNodeAsync(Alice, "urn:n"))!.Config.Should().BeEquivalentTo(replaced);
        (await Storage.Pubsub.GetNodeAsync(Alice, "urn:missing")).Should().BeNull();
    }

    [StorageFact]
    public async Task Pubsub_Publish_ToMissingNode_ReturnsNullAndStoresNothing()
    {
        (await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("1"), null)).Should().BeNull();

        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Pubsub_Publish_ListsNewestFirstAndRepublishMovesItemToTop()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("a", 1), null);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("b", 2), null);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("c", 3), null);

        (await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("a", 4, "<y xmlns='urn:test'>new</y>"), null)).Should().BeEmpty();

        var items = await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null);
        items.Select(i => i.Id).Should().Equal("a", "c", "b");
        items[0].Should().Be(PubItem("a", 4, "<y xmlns='urn:test'>new</y>"));
        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", 2)).Select(i => i.Id).Should().Equal("a", "c");
        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", 0)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Pubsub_PublishWithMaxItems_TrimsOldestAndReportsThem()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("1"), null);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("2"), null);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("3"), null);

        (await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("4"), 2)).Should().BeEquivalentTo(["1", "2"]);

        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null)).Select(i => i.Id).Should().Equal("4", "3");
    }

    [StorageFact]
    public async Task Pubsub_Trim_KeepsNewest()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        foreach (var id in new[] { "1", "2", "3" })
        {
            await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem(id), null);
        }

        (await Storage.Pubsub.TrimAsync(Alice, "urn:n", 1)).Should().BeEquivalentTo(["1", "2"]);
        (await Storage.Pubsub.TrimAsync(Alice, "urn:n", 1)).Should().BeEmpty();

        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null)).Select(i => i.Id).Should().Equal("3");
    }

    [StorageFact]
    public async Task Pubsub_GetItemsById_ReturnsExistingOnesNewestFirst()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        foreach (var id in new[] { "1", "2", "3" })
        {
            await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem(id), null);
        }

        (await Storage.Pubsub.GetItemsByIdAsync(Alice, "urn:n", ["1", "3", "nope", "3"])).Select(i => i.Id).Should().Equal("3", "1");
        (await Storage.Pubsub.GetItemsByIdAsync(Alice, "urn:n", [])).Should().BeEmpty();
        (await Storage.Pubsub.GetItemsByIdAsync(Bob, "urn:n", ["1"])).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Pubsub_Retract_RemovesOnlyThatItem()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("1"), null);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("2"), null);

        (await Storage.Pubsub.RetractAsync(Alice, "urn:n", "1")).Should().BeTrue();
        (await Storage.Pubsub.RetractAsync(Alice, "urn:n", "1")).Should().BeFalse();

        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null)).Select(i => i.Id).Should().Equal("2");
    }

    [StorageFact]
    public async Task Pubsub_DeleteNode_RemovesItemsAndAllowsRecreation()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("1"), null);

        (await Storage.Pubsub.DeleteNodeAsync(Alice, "urn:n")).Should().BeTrue();
        (await Storage.Pubsub.DeleteNodeAsync(Alice, "urn:n")).Should().BeFalse();

        (await Storage.Pubsub.GetNodeAsync(Alice, "urn:n")).Should().BeNull();
        (await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig)).Should().BeTrue();
        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Pubsub_AccountDeleted_RemovesOnlyThatAccountsNodes()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);
        await Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("1"), null);
        await Storage.Pubsub.CreateNodeAsync(Bob, "urn:n", OpenConfig);
        await Storage.Pubsub.PublishAsync(Bob, "urn:n", PubItem("1"), null);

        (await Storage.Accounts.DeleteAsync(Domain, "alice")).Should().BeTrue();

        (await Storage.Pubsub.GetNodesAsync(Alice)).Should().BeEmpty();
        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null)).Should().BeEmpty();
        (await Storage.Pubsub.GetItemsAsync(Bob, "urn:n", null)).Select(i => i.Id).Should().Equal("1");
    }

    [StorageFact]
    public async Task Pubsub_ConcurrentPublishes_AllKeptInDistinctOrder()
    {
        await Storage.Pubsub.CreateNodeAsync(Alice, "urn:n", OpenConfig);

        await RunConcurrentlyAsync(8, i => Storage.Pubsub.PublishAsync(Alice, "urn:n", PubItem("i" + i), 5));

        (await Storage.Pubsub.GetItemsAsync(Alice, "urn:n", null)).Should().HaveCount(5);
    }
}
