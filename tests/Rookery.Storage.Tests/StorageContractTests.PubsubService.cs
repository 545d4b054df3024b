namespace Rookery.Storage.Tests;

/// <content>Affiliations and subscriptions of generic publish-subscribe services (XEP-0060 on pubsub.&lt;host&gt;).</content>
public abstract partial class StorageContractTests
{
    private const string Service = "pubsub.example.org";

    [StorageFact]
    public async Task PubsubService_CreateNode_StoresNodeAndOwnerAndRefusesDuplicate()
    {
        (await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Alice)).Should().BeTrue();
        (await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Bob)).Should().BeFalse();

        (await Storage.Pubsub.GetNodeAsync(Service, "news"))!.Config.Should().BeEquivalentTo(OpenConfig);
        (await Storage.PubsubService.GetAffiliationsAsync(Service, "news")).Should().Equal(new PubsubAffiliation("news", Alice, "owner"));
        (await Storage.PubsubService.GetAffiliationsOfAsync(Service, Bob)).Should().BeEmpty("the refused creation changed nothing");
        // Another service (or an account's PEP service) with a node of the same name is another node.
        (await Storage.PubsubService.CreateNodeAsync("pubsub.other.example", "news", OpenConfig, Bob)).Should().BeTrue();
    }

    [StorageFact]
    public async Task PubsubService_SetAffiliation_ReplacesRemovesAndNeedsTheNode()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "b", OpenConfig, Alice);
        await Storage.PubsubService.CreateNodeAsync(Service, "a", OpenConfig, Alice);

        (await Storage.PubsubService.SetAffiliationAsync(Service, "b", Bob, "member")).Should().BeTrue();
        (await Storage.PubsubService.SetAffiliationAsync(Service, "b", Bob, "publisher")).Should().BeTrue();
        (await Storage.PubsubService.SetAffiliationAsync(Service, "a", Bob, "outcast")).Should().BeTrue();
        (await Storage.PubsubService.SetAffiliationAsync(Service, "missing", Bob, "member")).Should().BeFalse();

        (await Storage.PubsubService.GetAffiliationsAsync(Service, "b")).Should().Equal(
            new PubsubAffiliation("b", Alice, "owner"), new PubsubAffiliation("b", Bob, "publisher"));
        (await Storage.PubsubService.GetAffiliationsOfAsync(Service, Bob)).Should().Equal(
            new PubsubAffiliation("a", Bob, "outcast"), new PubsubAffiliation("b", Bob, "publisher"));

        (await Storage.PubsubService.SetAffiliationAsync(Service, "b", Bob, null)).Should().BeTrue();

        (await Storage.PubsubService.GetAffiliationsOfAsync(Service, Bob)).Should().Equal(new PubsubAffiliation("a", Bob, "outcast"));
        (await Storage.PubsubService.GetAffiliationsAsync(Service, "missing")).Should().BeEmpty();
    }

    [StorageFact]
    public async Task PubsubService_Subscribe_SeveralPerJidWithTheirOptions_BareAndFullAreDistinct()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Alice);
        var bare = new PubsubSubscription("news", Bob, "s1");
        var full = new PubsubSubscription("news", Bob + "/phone", "s2");
        // XEP-0060 §6.1.6: the same JID again is a second subscription, with its own id and options.
        var second = new PubsubSubscription("news", Bob, "s3", Options: new Dictionary<string, string> { ["pubsub#deliver"] = "0" });

        (await Storage.PubsubService.SubscribeAsync(Service, bare)).Should().Be(bare);
        (await Storage.PubsubService.SubscribeAsync(Service, full)).Should().Be(full);
        (await Storage.PubsubService.SubscribeAsync(Service, second)).Should().Be(second);
        (await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("missing", Bob, "s4"))).Should().BeNull();

        (await Storage.PubsubService.GetSubscriptionsAsync(Service, "news")).Should().Equal(bare, second, full);
        var other = await OpenAsync();
        (await other.PubsubService.GetSubscriptionsAsync(Service, "news")).Should().Equal(bare, second, full);
        (await other.PubsubService.GetSubscriptionsOfAsync(Service, Bob)).Should().Equal(bare, second, full);
    }

    [StorageFact]
    public async Task PubsubService_SetOptions_ReplacesThatSubscriptionsOptionsOnly()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Alice);
        var first = new PubsubSubscription("news", Bob, "s1");
        var second = new PubsubSubscription("news", Bob, "s2");
        await Storage.PubsubService.SubscribeAsync(Service, first);
        await Storage.PubsubService.SubscribeAsync(Service, second);
        var options = new Dictionary<string, string> { ["pubsub#deliver"] = "0", ["pubsub#show-values"] = "away\nxa" };

        (await Storage.PubsubService.SetOptionsAsync(Service, "news", "s2", options)).Should().BeTrue();
        (await Storage.PubsubService.SetOptionsAsync(Service, "news", "nope", options)).Should().BeFalse();
        (await Storage.PubsubService.SetOptionsAsync(Service, "missing", "s2", options)).Should().BeFalse();

        var other = await OpenAsync();
        (await other.PubsubService.GetSubscriptionsAsync(Service, "news")).Should().Equal(first, second with { Options = options });

        (await Storage.PubsubService.SetOptionsAsync(Service, "news", "s2", null)).Should().BeTrue();
        (await other.PubsubService.GetSubscriptionsAsync(Service, "news")).Should().Equal(first, second);
    }

    [StorageFact]
    public async Task PubsubService_SubscriptionsOf_CoverTheAccountsResourcesOnly()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "b", OpenConfig, Alice);
        await Storage.PubsubService.CreateNodeAsync(Service, "a", OpenConfig, Alice);
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("b", Bob, "1"));
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("a", Bob + "/phone", "2"));
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("a", "bobby@example.org", "3"));
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("a", Alice, "4"));

        (await Storage.PubsubService.GetSubscriptionsOfAsync(Service, Bob)).Should().Equal(
            new PubsubSubscription("a", Bob + "/phone", "2"), new PubsubSubscription("b", Bob, "1"));
        (await Storage.PubsubService.GetSubscriptionsOfAsync("pubsub.other.example", Bob)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task PubsubService_PendingSubscription_KeptPendingUntilApproved()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "closed", OpenConfig, Alice);
        var pending = new PubsubSubscription("closed", Bob, "p1", Pending: true);

        (await Storage.PubsubService.SubscribeAsync(Service, pending)).Should().Be(pending);
        (await Storage.PubsubService.GetSubscriptionsAsync(Service, "closed")).Should().Equal(pending);
        (await Storage.PubsubService.GetSubscriptionsOfAsync(Service, Bob)).Should().Equal(pending);

        (await Storage.PubsubService.ApproveAsync(Service, "closed", Bob)).Should().BeTrue();
        (await Storage.PubsubService.ApproveAsync(Service, "closed", Bob)).Should().BeFalse("it is approved already");
        (await Storage.PubsubService.ApproveAsync(Service, "closed", Alice)).Should().BeFalse("alice has no subscription");
        var other = await OpenAsync();
        (await other.PubsubService.GetSubscriptionsAsync(Service, "closed")).Should().Equal(pending with { Pending = false });
    }

    [StorageFact]
    public async Task PubsubService_Unsubscribe_RemovesOnlyThatJid()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Alice);
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("news", Bob, "1"));
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("news", Bob, "3"));
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("news", Bob + "/phone", "2"));

        (await Storage.PubsubService.UnsubscribeAsync(Service, "news", Bob)).Should().BeTrue("both of its subscriptions go");
        (await Storage.PubsubService.UnsubscribeAsync(Service, "news", Bob)).Should().BeFalse();

        (await Storage.PubsubService.GetSubscriptionsAsync(Service, "news")).Should().Equal(new PubsubSubscription("news", Bob + "/phone", "2"));
    }

    [StorageFact]
    public async Task PubsubService_UnsubscribeBySubId_RemovesOnlyThatSubscriptionOfThatJid()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Alice);
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("news", Bob, "1"));
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("news", Bob, "2"));

        (await Storage.PubsubService.UnsubscribeAsync(Service, "news", Alice, "1")).Should().BeFalse("the subscription is bob's");
        (await Storage.PubsubService.UnsubscribeAsync(Service, "news", Bob, "1")).Should().BeTrue();
        (await Storage.PubsubService.UnsubscribeAsync(Service, "news", Bob, "1")).Should().BeFalse();

        (await Storage.PubsubService.GetSubscriptionsAsync(Service, "news")).Should().Equal(new PubsubSubscription("news", Bob, "2"));
    }

    [StorageFact]
    public async Task PubsubService_DeleteNode_TakesItsAffiliationsSubscriptionsAndItems()
    {
        await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Alice);
        await Storage.PubsubService.SetAffiliationAsync(Service, "news", Bob, "publisher");
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("news", Bob, "1"));
        await Storage.Pubsub.PublishAsync(Service, "news", PubItem("i1"), null);

        (await Storage.Pubsub.DeleteNodeAsync(Service, "news")).Should().BeTrue();
        await Storage.PubsubService.CreateNodeAsync(Service, "news", OpenConfig, Bob);

        (await Storage.PubsubService.GetAffiliationsAsync(Service, "news")).Should().Equal(new PubsubAffiliation("news", Bob, "owner"));
        (await Storage.PubsubService.GetSubscriptionsAsync(Service, "news")).Should().BeEmpty();
        (await Storage.Pubsub.GetItemsAsync(Service, "news", null)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task PubsubService_DeleteAccount_RemovesItsRowsAndTheNodesItAloneOwned()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.PubsubService.CreateNodeAsync(Service, "alone", OpenConfig, Alice);
        await Storage.PubsubService.CreateNodeAsync(Service, "shared", OpenConfig, Alice);
        await Storage.PubsubService.SetAffiliationAsync(Service, "shared", Bob, "owner");
        await Storage.PubsubService.CreateNodeAsync(Service, "bobs", OpenConfig, Bob);
        await Storage.PubsubService.SetAffiliationAsync(Service, "bobs", Alice, "publisher");
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("bobs", Alice + "/phone", "1"));
        await Storage.PubsubService.SubscribeAsync(Service, new PubsubSubscription("bobs", Bob, "2"));

        (await Storage.Accounts.DeleteAsync(Domain, "alice")).Should().BeTrue();

        (await Storage.Pubsub.GetNodesAsync(Service)).Select(n => n.Name).Should().Equal("bobs", "shared");
        (await Storage.PubsubService.GetAffiliationsOfAsync(Service, Alice)).Should().BeEmpty();
        (await Storage.PubsubService.GetAffiliationsAsync(Service, "shared")).Should().Equal(new PubsubAffiliation("shared", Bob, "owner"));
        (await Storage.PubsubService.GetSubscriptionsOfAsync(Service, Alice)).Should().BeEmpty();
        (await Storage.PubsubService.GetSubscriptionsAsync(Service, "bobs")).Should().Equal(new PubsubSubscription("bobs", Bob, "2"));
    }
}
