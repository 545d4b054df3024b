namespace Rookery.Storage.Tests;

/// <content>Push notification registrations (XEP-0357).</content>
public abstract partial class StorageContractTests
{
    private const string PublishOptions =
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='secret'><value>s3</value></field></x>";

    private static readonly DateTimeOffset PushEnabledAt = new(2026, 12, 7, 18, 30, 15, 123, TimeSpan.Zero);

    [StorageFact]
    public async Task Push_None_IsEmpty()
    {
        (await Storage.Push.GetAsync(Alice)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Push_Enable_ReadBackWithEveryField_AlsoFromAnotherInstance()
    {
        var registration = new PushRegistration(Alice, "push.example.net", "node-1", PublishOptions, "phone", PushEnabledAt);

        (await Storage.Push.TryEnableAsync(registration, limit: 10)).Should().BeTrue();

        (await Storage.Push.GetAsync(Alice)).Should().Equal(registration);
        (await Storage.Push.GetAsync(Bob)).Should().BeEmpty("registrations belong to their owner");
        // Every node of a cluster (or a restarted one) sees it.
        var other = await OpenAsync();
        (await other.Push.GetAsync(Alice)).Should().Equal(registration);
    }

    [StorageFact]
    public async Task Push_EnableWithoutOptionsOrNode_StoredAsNullAndEmpty()
    {
        var registration = new PushRegistration(Alice, "push.example.net", string.Empty, null, "phone", PushEnabledAt);

        await Storage.Push.TryEnableAsync(registration, limit: 10);

        (await Storage.Push.GetAsync(Alice)).Should().Equal(registration);
    }

    [StorageFact]
    public async Task Push_EnableSameServiceAndNodeAgain_ReplacesIt()
    {
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "n", PublishOptions, "phone", PushEnabledAt), limit: 10);
        var again = new PushRegistration(Alice, "push.example.net", "n", null, "tablet", PushEnabledAt.AddMinutes(5));

        (await Storage.Push.TryEnableAsync(again, limit: 10)).Should().BeTrue();

        (await Storage.Push.GetAsync(Alice)).Should().Equal(again);
    }

    [StorageFact]
    public async Task Push_SeveralNodesAndServices_OrderedByServiceThenNode()
    {
        var b2 = new PushRegistration(Alice, "b.example", "2", null, "r", PushEnabledAt);
        var a9 = new PushRegistration(Alice, "a.example", "9", null, "r", PushEnabledAt);
        var b1 = new PushRegistration(Alice, "b.example", "1", null, "r", PushEnabledAt);
        var astral = new PushRegistration(Alice, "b.example", "\U00020000", null, "r", PushEnabledAt);
        var bmp = new PushRegistration(Alice, "b.example", "\uFA0E", null, "r", PushEnabledAt);
        foreach (var registration in new[] { b2, a9, b1, astral, bmp })
        {
            await Storage.Push.TryEnableAsync(registration, limit: 10);
        }

        // Ordinal (UTF-16) order: a surrogate pair sorts before U+FA0E.
        (await Storage.Push.GetAsync(Alice)).Should().Equal(a9, b1, b2, astral, bmp);
    }

    [StorageFact]
    public async Task Push_Limit_NewOneRefusedButReplacingOneAllowed()
    {
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "1", null, "r", PushEnabledAt), limit: 2);
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "2", null, "r", PushEnabledAt), limit: 2);

        (await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "3", null, "r", PushEnabledAt), limit: 2)).Should().BeFalse();
        (await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "2", PublishOptions, "r", PushEnabledAt), limit: 2))
            .Should().BeTrue("re-enabling an existing service and node replaces it and adds nothing");
        (await Storage.Push.TryEnableAsync(new PushRegistration(Bob, "push.example.net", "3", null, "r", PushEnabledAt), limit: 2))
            .Should().BeTrue("the limit is per owner");

        (await Storage.Push.GetAsync(Alice)).Select(r => (r.Node, r.PublishOptions)).Should().Equal(("1", null), ("2", PublishOptions));
    }

    [StorageFact]
    public async Task Push_ConcurrentEnables_NeverPassTheLimit()
    {
        var enables = Enumerable.Range(0, 8)
            .Select(i => Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "n" + i, null, "r", PushEnabledAt), limit: 3));

        var results = await Task.WhenAll(enables);

        results.Count(r => r).Should().Be(3);
        (await Storage.Push.GetAsync(Alice)).Should().HaveCount(3);
    }

    [StorageFact]
    public async Task Push_DisableWithNode_RemovesOnlyThatOne()
    {
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "1", null, "r", PushEnabledAt), limit: 10);
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "2", null, "r", PushEnabledAt), limit: 10);
        await Storage.Push.TryEnableAsync(new PushRegistration(Bob, "push.example.net", "1", null, "r", PushEnabledAt), limit: 10);

        (await Storage.Push.DisableAsync(Alice, "push.example.net", "1")).Should().Be(1);
        (await Storage.Push.DisableAsync(Alice, "push.example.net", "1")).Should().Be(0);

        (await Storage.Push.GetAsync(Alice)).Select(r => r.Node).Should().Equal("2");
        (await Storage.Push.GetAsync(Bob)).Should().HaveCount(1);
    }

    [StorageFact]
    public async Task Push_DisableWithoutNode_RemovesEveryNodeOfThatServiceOnly()
    {
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "1", null, "r", PushEnabledAt), limit: 10);
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "2", null, "r", PushEnabledAt), limit: 10);
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "other.example.net", "1", null, "r", PushEnabledAt), limit: 10);

        (await Storage.Push.DisableAsync(Alice, "push.example.net", node: null)).Should().Be(2);

        (await Storage.Push.GetAsync(Alice)).Select(r => r.Service).Should().Equal("other.example.net");
    }

    [StorageFact]
    public async Task Push_AccountDeleted_RegistrationsGo()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.Push.TryEnableAsync(new PushRegistration(Alice, "push.example.net", "1", null, "r", PushEnabledAt), limit: 10);

        await Storage.Accounts.DeleteAsync(Domain, "alice");

        (await Storage.Push.GetAsync(Alice)).Should().BeEmpty();
    }
}
