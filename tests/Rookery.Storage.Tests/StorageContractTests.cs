namespace Rookery.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="IStorage"/> backend must have. A backend adds a subclass that implements
/// <see cref="CreateStorageAsync"/>; xunit runs every test below against it, each on a fresh, empty store.
/// </summary>
/// <remarks>
/// The tests are <see cref="StorageFactAttribute"/>s rather than plain facts so that a subclass marked with a
/// <see cref="StorageBackendAttribute"/> (a database server that may be missing) has them skipped when its backend is.
/// </remarks>
public abstract partial class StorageContractTests : IAsyncLifetime
{
    private const string Domain = "example.org";
    private const string Alice = "alice@example.org";
    private const string Bob = "bob@example.org";

    private readonly List<IStorage> _opened = [];

    /// <summary>The store under test, opened and migrated before each test.</summary>
    protected IStorage Storage { get; private set; } = null!;

    /// <summary>
    /// Opens a new, unmigrated instance on this test's backing store (file, database...). The store is empty at the
    /// first call within a test; every later call in the same test opens the same store again, as a restarted server
    /// would. The base class migrates and disposes what this returns.
    /// </summary>
    protected abstract Task<IStorage> CreateStorageAsync();

    public virtual async Task InitializeAsync() => Storage = await OpenAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (var storage in _opened)
        {
            await storage.DisposeAsync();
        }
    }

    /// <summary>Opens and migrates another instance on the same backing store.</summary>
    protected async Task<IStorage> OpenAsync()
    {
        var storage = await CreateStorageAsync();
        _opened.Add(storage);
        await storage.MigrateAsync();
        return storage;
    }

    // ---------------------------------------------------------------- accounts

    [StorageFact]
    public async Task Create_NewAccount_ReturnsTrueAndExists()
    {
        (await Storage.Accounts.ExistsAsync(Domain, "alice")).Should().BeFalse();

        (await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)])).Should().BeTrue();

        (await Storage.Accounts.ExistsAsync(Domain, "alice")).Should().BeTrue();
        (await Storage.Accounts.ExistsAsync("other.example", "alice")).Should().BeFalse();
        (await Storage.Accounts.ExistsAsync(Domain, "bob")).Should().BeFalse();
    }

    [StorageFact]
    public async Task Create_Duplicate_ReturnsFalseAndKeepsOriginalCredentials()
    {
        var original = Credential("SHA-256", 1);
        await Storage.Accounts.CreateAsync(Domain, "alice", [original]);

        (await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 2), Credential("SHA-1", 3)])).Should().BeFalse();

        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo([original]);
        (await Storage.Accounts.CountAsync(Domain)).Should().Be(1);
    }

    [StorageFact]
    public async Task Create_SameUserOnAnotherDomain_IsSeparateAccount()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);

        (await Storage.Accounts.CreateAsync("other.example", "alice", [Credential("SHA-256", 2)])).Should().BeTrue();

        (await Storage.Accounts.GetCredentialsAsync("other.example", "alice")).Should().BeEquivalentTo([Credential("SHA-256", 2)]);
        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo([Credential("SHA-256", 1)]);
    }

    [StorageFact]
    public async Task Create_ConcurrentlyForSameAccount_ExactlyOneSucceeds()
    {
        var results = await RunConcurrentlyAsync(20, i => Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", i)]));

        results.Count(r => r).Should().Be(1);
        var winner = Array.IndexOf(results, true);
        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo([Credential("SHA-256", winner)]);
    }

    [StorageFact]
    public async Task CreateMany_NewAndExisting_CreatesOnlyTheNewOnes_KeepsExistingCredentials()
    {
        var original = Credential("SHA-256", 1);
        await Storage.Accounts.CreateAsync(Domain, "alice", [original]);

        var created = await Storage.Accounts.CreateManyAsync(
        [
            new NewAccount(Domain, "alice", [Credential("SHA-256", 2)]),
            new NewAccount(Domain, "bob", [Credential("SHA-256", 3), Credential("SHA-1", 4)]),
            new NewAccount("other.example", "alice", [Credential("SHA-256", 5)]),
            new NewAccount(Domain, "bob", [Credential("SHA-256", 6)]),
        ]);

        created.Should().Be(2);
        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo([original]);
        (await Storage.Accounts.GetCredentialsAsync(Domain, "bob")).Should().BeEquivalentTo([Credential("SHA-256", 3), Credential("SHA-1", 4)]);
        (await Storage.Accounts.GetCredentialsAsync("other.example", "alice")).Should().BeEquivalentTo([Credential("SHA-256", 5)]);
        (await Storage.Accounts.CountAsync(Domain)).Should().Be(2);
    }

    [StorageFact]
    public async Task CreateMany_Empty_ReturnsZero()
    {
        (await Storage.Accounts.CreateManyAsync([])).Should().Be(0);
    }

    [StorageFact]
    public async Task CreateMany_InvalidEntry_ThrowsAndCreatesNothing()
    {
        var act = () => Storage.Accounts.CreateManyAsync([new NewAccount(Domain, "alice", [Credential("SHA-256", 1)]), new NewAccount(Domain, "", [])]);

        await act.Should().ThrowAsync<ArgumentException>();
        (await Storage.Accounts.CountAsync(Domain)).Should().Be(0);
    }

    [StorageFact]
    public async Task GetCredentials_SeveralMechanisms_RoundTripExactly()
    {
        StoredCredential[] credentials =
        [
            Credential("SHA-1", 1, iterations: 4096),
            Credential("SHA-256", 2, iterations: 10_000),
            Credential("SHA-512", 3, iterations: int.MaxValue),
        ];
        await Storage.Accounts.CreateAsync(Domain, "alice", credentials);

        var stored = await Storage.Accounts.GetCredentialsAsync(Domain, "alice");

        stored.Should().BeEquivalentTo(credentials);
    }

    [StorageFact]
    public async Task GetCredentials_AccountWithoutCredentials_ReturnsEmptyNotNull()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", []);

        var stored = await Storage.Accounts.GetCredentialsAsync(Domain, "alice");

        stored.Should().NotBeNull().And.BeEmpty();
    }

    [StorageFact]
    public async Task GetCredentials_MissingAccount_ReturnsNull()
    {
        (await Storage.Accounts.GetCredentialsAsync(Domain, "nobody")).Should().BeNull();
    }

    [StorageFact]
    public async Task SetCredentials_Existing_ReplacesAllCredentials()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-1", 1), Credential("SHA-256", 2)]);
        StoredCredential[] replacement = [Credential("SHA-256", 7), Credential("SHA-512", 8)];

        (await Storage.Accounts.SetCredentialsAsync(Domain, "alice", replacement)).Should().BeTrue();

        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo(replacement);
    }

    [StorageFact]
    public async Task SetCredentials_MissingAccount_ReturnsFalseAndCreatesNothing()
    {
        (await Storage.Accounts.SetCredentialsAsync(Domain, "nobody", [Credential("SHA-256", 1)])).Should().BeFalse();

        (await Storage.Accounts.ExistsAsync(Domain, "nobody")).Should().BeFalse();
        (await Storage.Accounts.GetCredentialsAsync(Domain, "nobody")).Should().BeNull();
    }

    [StorageFact]
    public async Task Delete_MissingAccount_ReturnsFalse()
    {
        await Storage.Accounts.CreateAsync(Domain, "bob", []);

        (await Storage.Accounts.DeleteAsync(Domain, "alice")).Should().BeFalse();

        (await Storage.Accounts.ExistsAsync(Domain, "bob")).Should().BeTrue();
    }

    [StorageFact]
    public async Task ForgetVersion_AfterDelete_RosterStartsFromNothing()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.Rosters.SetItemAsync(Alice, Item(Bob));
        await Storage.Rosters.SetItemAsync(Alice, Item("carol@example.net"));
        await Storage.Rosters.SetItemAsync(Bob, Item(Alice));
        await Storage.Accounts.DeleteAsync(Domain, "alice");

        await Storage.Rosters.ForgetVersionAsync(Alice);

        (await Storage.Rosters.GetAsync(Alice)).Version.Should().Be(0);
        (await Storage.Rosters.SetItemAsync(Alice, Item(Bob))).Should().Be(1);
        (await Storage.Rosters.GetAsync(Bob)).Version.Should().Be(1, "only the owner's counter goes");
    }

    [StorageFact]
    public async Task Delete_Account_RemovesCredentialsRosterPendingOfflineAndUserData()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        var versionBefore = await Storage.Rosters.SetItemAsync(Alice, Item(Bob));
        await Storage.Rosters.AddPendingInAsync(Alice, Pending("carol@example.net"));
        await Storage.Offline.TryStoreAsync(Alice, Message(1), 10);
        await Storage.UserData.TrySetAsync(Alice, "vcard", "v", "<vCard xmlns='vcard-temp'/>", 10);
        await Storage.LastActivity.SetAsync(Alice, new LastActivity(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), "bye"));
        await Storage.Archive.AppendAsync(Alice, Archived("a1", Bob));
        await Storage.Archive.SetPreferencesAsync(Alice, new ArchivePreferences(ArchiveDefault.Never, [Bob], []));
        await Storage.BlockLists.AddAsync(Alice, ["mallory@example.net"]);

        (await Storage.Accounts.DeleteAsync(Domain, "alice")).Should().BeTrue();

        (await Storage.Accounts.ExistsAsync(Domain, "alice")).Should().BeFalse();
        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeNull();
        var roster = await Storage.Rosters.GetAsync(Alice);
        roster.Items.Should().BeEmpty();
        // XEP-0237: the version never goes back, so a client's cached version of the old account cannot match.
        roster.Version.Should().Be(versionBefore);
        (await Storage.Rosters.SetItemAsync(Alice, Item(Bob))).Should().BeGreaterThan(versionBefore);
        (await Storage.Rosters.GetPendingInAsync(Alice)).Should().BeEmpty();
        (await Storage.Offline.PeekAsync(Alice)).Should().BeEmpty();
        (await Storage.Offline.CountAsync(Alice)).Should().Be(0);
        (await Storage.UserData.GetAsync(Alice, "vcard", "v")).Should().BeNull();
        (await Storage.LastActivity.GetAsync(Alice)).Should().BeNull();
        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(0);
        (await Storage.Archive.GetPreferencesAsync(Alice)).Should().BeNull();
        (await Storage.BlockLists.GetAsync(Alice)).Should().BeEmpty();

        // A re-created account starts clean: no credentials survive from the old one.
        await Storage.Accounts.CreateAsync(Domain, "alice", []);
        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Delete_Account_LeavesOtherAccountsData()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", []);
        await Storage.Accounts.CreateAsync(Domain, "bob", [Credential("SHA-256", 2)]);
        await Storage.Accounts.CreateAsync("other.example", "alice", [Credential("SHA-256", 3)]);
        const string otherAlice = "alice@other.example";
        foreach (var owner in new[] { Alice, Bob, otherAlice })
        {
            await Storage.Rosters.SetItemAsync(owner, Item("dave@example.net"));
            await Storage.Rosters.AddPendingInAsync(owner, Pending("carol@example.net"));
            await Storage.Offline.TryStoreAsync(owner, Message(1), 10);
            await Storage.UserData.TrySetAsync(owner, "private", "k", "<x xmlns='k'/>", 10);
            await Storage.LastActivity.SetAsync(owner, new LastActivity(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), ""));
            await Storage.Archive.AppendAsync(owner, Archived("a1", "dave@example.net"));
            await Storage.Archive.SetPreferencesAsync(owner, new ArchivePreferences(ArchiveDefault.Roster, [], []));
            await Storage.BlockLists.AddAsync(owner, ["mallory@example.net"]);
        }

        // Bob has Alice in his roster; deleting Alice's account must not touch Bob's roster.
        await Storage.Rosters.SetItemAsync(Bob, Item(Alice));

        await Storage.Accounts.DeleteAsync(Domain, "alice");

        foreach (var owner in new[] { Bob, otherAlice })
        {
            (await Storage.Rosters.GetItemAsync(owner, "dave@example.net")).Should().NotBeNull();
            (await Storage.Rosters.GetPendingInAsync(owner)).Should().HaveCount(1);
            (await Storage.Offline.CountAsync(owner)).Should().Be(1);
            (await Storage.UserData.GetAsync(owner, "private", "k")).Should().Be("<x xmlns='k'/>");
            (await Storage.LastActivity.GetAsync(owner)).Should().NotBeNull();
            (await Storage.Archive.QueryAsync(owner, new ArchiveQuery()))!.Count.Should().Be(1);
            (await Storage.Archive.GetPreferencesAsync(owner)).Should().NotBeNull();
            (await Storage.BlockLists.GetAsync(owner)).Should().Equal("mallory@example.net");
        }

        (await Storage.Rosters.GetItemAsync(Bob, Alice)).Should().NotBeNull();
        (await Storage.Accounts.GetCredentialsAsync(Domain, "bob")).Should().BeEquivalentTo([Credential("SHA-256", 2)]);
        (await Storage.Accounts.GetCredentialsAsync("other.example", "alice")).Should().BeEquivalentTo([Credential("SHA-256", 3)]);
    }

    [StorageFact]
    public async Task List_ReturnsUsersOfDomainSortedOrdinally()
    {
        // U+FA0E sorts after U+20000 in UTF-16 ordinal order but before it in UTF-8 byte order, so a backend that relies
        // on a byte-order (or a linguistic) collation fails here.
        string[] users = ["zed", "bob", "\uFA0E", "alice", "Alice", "\U00020000", "émile", "a.b"];
        foreach (var user in users)
        {
            await Storage.Accounts.CreateAsync(Domain, user, []);
        }

        await Storage.Accounts.CreateAsync("other.example", "mallory", []);

        var listed = await Storage.Accounts.ListAsync(Domain);

        listed.Should().Equal(users.Order(StringComparer.Ordinal));
        (await Storage.Accounts.ListAsync("empty.example")).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Count_CountsAccountsOfOneDomain()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", []);
        await Storage.Accounts.CreateAsync(Domain, "bob", []);
        await Storage.Accounts.CreateAsync("other.example", "alice", []);

        (await Storage.Accounts.CountAsync(Domain)).Should().Be(2);
        (await Storage.Accounts.CountAsync("other.example")).Should().Be(1);
        (await Storage.Accounts.CountAsync("empty.example")).Should().Be(0);

        await Storage.Accounts.DeleteAsync(Domain, "bob");
        (await Storage.Accounts.CountAsync(Domain)).Should().Be(1);
    }

    // ---------------------------------------------------------------- roster

    [StorageFact]
    public async Task GetRoster_NeverWritten_IsEmptyAtVersionZero()
    {
        var roster = await Storage.Rosters.GetAsync(Alice);

        roster.Version.Should().Be(0);
        roster.Items.Should().BeEmpty();
        (await Storage.Rosters.GetItemAsync(Alice, Bob)).Should().BeNull();
    }

    [StorageFact]
    public async Task SetItem_New_RoundTripsEveryField()
    {
        var item = new RosterItem(Bob, "Bobby", Subscription.Both, PendingOut: true, ["Friends", "Work"]);

        var version = await Storage.Rosters.SetItemAsync(Alice, item);

        version.Should().BeGreaterThan(0);
        (await Storage.Rosters.GetItemAsync(Alice, Bob)).Should().BeEquivalentTo(item, o => o.WithStrictOrdering());
        var roster = await Storage.Rosters.GetAsync(Alice);
        roster.Version.Should().Be(version);
        roster.Items.Should().BeEquivalentTo([item], o => o.WithStrictOrdering());
    }

    [StorageTheory]
    [InlineData(Subscription.None, false)]
    [InlineData(Subscription.To, true)]
    [InlineData(Subscription.From, false)]
    [InlineData(Subscription.Both, false)]
    public async Task SetItem_EverySubscriptionState_RoundTrips(Subscription subscription, bool pendingOut)
    {
        var item = new RosterItem(Bob, Name: null, subscription, pendingOut, []);

        await Storage.Rosters.SetItemAsync(Alice, item);

        (await Storage.Rosters.GetItemAsync(Alice, Bob)).Should().BeEquivalentTo(item);
    }

    [StorageFact]
    public async Task SetItem_Groups_RoundTripInOrderWithAwkwardNames()
    {
        string[] groups = ["Zeta", "Alpha", "with \"quotes\", commas and [brackets]", "back\\slash", "日本語", "😀", " spaced ", "line\nbreak"];
        await Storage.Rosters.SetItemAsync(Alice, Item(Bob, groups: groups));
        await Storage.Rosters.SetItemAsync(Alice, Item("carol@example.net", groups: []));
        await Storage.Rosters.SetItemAsync(Alice, Item("dave@example.net", groups: ["Solo"]));

        (await Storage.Rosters.GetItemAsync(Alice, Bob))!.Groups.Should().Equal(groups);
        (await Storage.Rosters.GetItemAsync(Alice, "carol@example.net"))!.Groups.Should().BeEmpty();
        (await Storage.Rosters.GetItemAsync(Alice, "dave@example.net"))!.Groups.Should().Equal("Solo");
    }

    [StorageFact]
    public async Task SetItem_ExistingContact_ReplacesItemAndBumpsVersion()
    {
        var first = await Storage.Rosters.SetItemAsync(Alice, new RosterItem(Bob, "Bob", Subscription.None, true, ["A", "B"]));
        var replacement = new RosterItem(Bob, null, Subscription.To, false, ["C"]);

        var second = await Storage.Rosters.SetItemAsync(Alice, replacement);

        second.Should().BeGreaterThan(first);
        var roster = await Storage.Rosters.GetAsync(Alice);
        roster.Version.Should().Be(second);
        roster.Items.Should().BeEquivalentTo([replacement], o => o.WithStrictOrdering());
    }

    [StorageFact]
    public async Task SetItem_EveryWrite_IncreasesVersion()
    {
        var versions = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            versions.Add(await Storage.Rosters.SetItemAsync(Alice, Item($"c{i}@example.net")));
            versions.Add(await Storage.Rosters.SetItemAsync(Alice, Item($"c{i}@example.net", name: $"again {i}")));
        }

        versions.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        versions[0].Should().BeGreaterThan(0);
        (await Storage.Rosters.GetAsync(Alice)).Version.Should().Be(versions[^1]);
    }

    [StorageFact]
    public async Task SetItem_Concurrently_GivesDistinctVersionsAndKeepsEveryItem()
    {
        var versions = await RunConcurrentlyAsync(20, i => Storage.Rosters.SetItemAsync(Alice, Item($"c{i:D2}@example.net")));

        versions.Should().OnlyHaveUniqueItems();
        var roster = await Storage.Rosters.GetAsync(Alice);
        roster.Items.Should().HaveCount(20);
        roster.Version.Should().Be(versions.Max());
    }

    [StorageFact]
    public async Task GetRoster_ItemsOrderedByContactOrdinally()
    {
        string[] contacts = ["zed@example.net", "\uFA0E@example.net", "alice@example.net", "\U00020000@example.net", "Bob@example.net", "bob@example.net"];
        foreach (var contact in contacts)
        {
            await Storage.Rosters.SetItemAsync(Alice, Item(contact));
        }

        var roster = await Storage.Rosters.GetAsync(Alice);

        roster.Items.Select(i => i.Contact).Should().Equal(contacts.Order(StringComparer.Ordinal));
    }

    [StorageFact]
    public async Task Rosters_AreSeparatePerOwner()
    {
        await Storage.Rosters.SetItemAsync(Alice, Item("carol@example.net"));
        await Storage.Rosters.SetItemAsync(Alice, Item("dave@example.net"));
        var bobVersion = await Storage.Rosters.SetItemAsync(Bob, Item("erin@example.net"));

        (await Storage.Rosters.GetItemAsync(Bob, "carol@example.net")).Should().BeNull();
        var bobRoster = await Storage.Rosters.GetAsync(Bob);
        bobRoster.Items.Select(i => i.Contact).Should().Equal("erin@example.net");
        bobRoster.Version.Should().Be(bobVersion);
        (await Storage.Rosters.RemoveItemAsync(Bob, "carol@example.net")).Should().BeNull();
        (await Storage.Rosters.GetItemAsync(Alice, "carol@example.net")).Should().NotBeNull();
    }

    [StorageFact]
    public async Task RemoveItem_Existing_RemovesAndBumpsVersion()
    {
        await Storage.Rosters.SetItemAsync(Alice, Item("carol@example.net"));
        var before = await Storage.Rosters.SetItemAsync(Alice, Item(Bob));

        var after = await Storage.Rosters.RemoveItemAsync(Alice, Bob);

        after.Should().NotBeNull().And.BeGreaterThan(before);
        (await Storage.Rosters.GetItemAsync(Alice, Bob)).Should().BeNull();
        var roster = await Storage.Rosters.GetAsync(Alice);
        roster.Version.Should().Be(after!.Value);
        roster.Items.Select(i => i.Contact).Should().Equal("carol@example.net");
    }

    [StorageFact]
    public async Task RemoveItem_Missing_ReturnsNullAndKeepsVersion()
    {
        var version = await Storage.Rosters.SetItemAsync(Alice, Item(Bob));

        (await Storage.Rosters.RemoveItemAsync(Alice, "carol@example.net")).Should().BeNull();

        (await Storage.Rosters.GetAsync(Alice)).Version.Should().Be(version);
        (await Storage.Rosters.RemoveItemAsync("nobody@example.org", Bob)).Should().BeNull();
        (await Storage.Rosters.GetAsync("nobody@example.org")).Version.Should().Be(0);
    }

    [StorageFact]
    public async Task RemoveItem_LastItem_VersionKeepsIncreasing()
    {
        await Storage.Rosters.SetItemAsync(Alice, Item(Bob));
        var emptied = await Storage.Rosters.RemoveItemAsync(Alice, Bob);

        var roster = await Storage.Rosters.GetAsync(Alice);
        roster.Items.Should().BeEmpty();
        roster.Version.Should().Be(emptied!.Value).And.BeGreaterThan(0);

        // XEP-0237: a version handed out once must never denote a different roster, so it never goes back.
        var readded = await Storage.Rosters.SetItemAsync(Alice, Item(Bob));
        readded.Should().BeGreaterThan(emptied.Value);
    }

    // ---------------------------------------------------------------- pending-in

    [StorageFact]
    public async Task PendingIn_ListedOldestFirst()
    {
        string[] contacts = ["zed@example.net", "bob@example.net", "carol@example.net", "adam@example.net"];
        foreach (var contact in contacts)
        {
            await Storage.Rosters.AddPendingInAsync(Alice, Pending(contact));
        }

        var pending = await Storage.Rosters.GetPendingInAsync(Alice);

        pending.Should().Equal(contacts.Select(Pending));
    }

    [StorageFact]
    public async Task PendingIn_RepeatedRequest_ReplacesStanzaAndBecomesNewest()
    {
        await Storage.Rosters.AddPendingInAsync(Alice, Pending(Bob, "first"));
        await Storage.Rosters.AddPendingInAsync(Alice, Pending("carol@example.net"));

        await Storage.Rosters.AddPendingInAsync(Alice, Pending(Bob, "second"));

        (await Storage.Rosters.GetPendingInAsync(Alice)).Should().Equal(Pending("carol@example.net"), Pending(Bob, "second"));
    }

    [StorageFact]
    public async Task PendingIn_Remove_ReturnsWhetherOneWasThere()
    {
        await Storage.Rosters.AddPendingInAsync(Alice, Pending(Bob));
        await Storage.Rosters.AddPendingInAsync(Alice, Pending("carol@example.net"));

        (await Storage.Rosters.RemovePendingInAsync(Alice, Bob)).Should().BeTrue();
        (await Storage.Rosters.RemovePendingInAsync(Alice, Bob)).Should().BeFalse();
        (await Storage.Rosters.RemovePendingInAsync(Bob, "carol@example.net")).Should().BeFalse();

        (await Storage.Rosters.GetPendingInAsync(Alice)).Should().Equal(Pending("carol@example.net"));
    }

    [StorageFact]
    public async Task PendingIn_SeparatePerOwnerAndIndependentOfRoster()
    {
        var version = await Storage.Rosters.SetItemAsync(Alice, Item("dave@example.net"));
        await Storage.Rosters.AddPendingInAsync(Alice, Pending("carol@example.net"));
        await Storage.Rosters.AddPendingInAsync(Bob, Pending("erin@example.net"));

        (await Storage.Rosters.GetPendingInAsync(Alice)).Should().Equal(Pending("carol@example.net"));
        (await Storage.Rosters.GetPendingInAsync(Bob)).Should().Equal(Pending("erin@example.net"));
        (await Storage.Rosters.GetPendingInAsync("nobody@example.org")).Should().BeEmpty();
        var roster = await Storage.Rosters.GetAsync(Alice);
        roster.Version.Should().Be(version);
        roster.Items.Should().ContainSingle();
    }

    // ---------------------------------------------------------------- offline

    [StorageFact]
    public async Task TryStore_BelowLimit_StoresUntilLimitThenRefuses()
    {
        for (var i = 0; i < 3; i++)
        {
            (await Storage.Offline.TryStoreAsync(Alice, Message(i), limit: 3)).Should().BeTrue();
        }

        (await Storage.Offline.TryStoreAsync(Alice, Message(3), limit: 3)).Should().BeFalse();

        (await Storage.Offline.CountAsync(Alice)).Should().Be(3);
        (await Storage.Offline.PeekAsync(Alice)).Select(m => m.StanzaXml).Should().Equal(Message(0).StanzaXml, Message(1).StanzaXml, Message(2).StanzaXml);
        // Another user's quota is separate.
        (await Storage.Offline.TryStoreAsync(Bob, Message(9), limit: 3)).Should().BeTrue();
    }

    [StorageFact]
    public async Task TryStore_LimitZero_StoresNothing()
    {
        (await Storage.Offline.TryStoreAsync(Alice, Message(0), limit: 0)).Should().BeFalse();

        (await Storage.Offline.CountAsync(Alice)).Should().Be(0);
    }

    [StorageFact]
    public async Task TryStore_TwentyConcurrentWithLimitTen_StoresExactlyTen()
    {
        var results = await RunConcurrentlyAsync(20, i => Storage.Offline.TryStoreAsync(Alice, Message(i), limit: 10));

        results.Count(stored => stored).Should().Be(10);
        (await Storage.Offline.CountAsync(Alice)).Should().Be(10);
        var stanzas = (await Storage.Offline.PeekAsync(Alice)).Select(m => m.StanzaXml);
        stanzas.Should().BeEquivalentTo(Enumerable.Range(0, 20).Where(i => results[i]).Select(i => Message(i).StanzaXml));
    }

    [StorageFact]
    public async Task TryStore_ConcurrentFromTwoInstancesOnOneStore_StoresExactlyTen()
    {
        // Two server processes (or a server and the admin CLI) on one store: an in-process lock alone is not enough.
        var second = await OpenAsync();
        var stores = new[] { Storage.Offline, second.Offline };

        var results = await RunConcurrentlyAsync(20, i => stores[i % 2].TryStoreAsync(Alice, Message(i), limit: 10));

        results.Count(stored => stored).Should().Be(10);
        (await Storage.Offline.CountAsync(Alice)).Should().Be(10);
    }

    [StorageFact]
    public async Task Peek_ReturnsOldestFirstWithIncreasingIdsAndStamps()
    {
        var baseStamp = new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);
        // Stamps deliberately not in arrival order: the order is by arrival (id), not by stamp.
        var messages = new[]
        {
            new OfflineMessage("<message id='a'/>", baseStamp.AddSeconds(5)),
            new OfflineMessage("<message id='b'/>", baseStamp),
            new OfflineMessage("<message id='c'>ünïcødé 😀 &amp; &lt;</message>", baseStamp.AddMinutes(-3)),
        };
        foreach (var message in messages)
        {
            await Storage.Offline.TryStoreAsync(Alice, message, 100);
        }

        var stored = await Storage.Offline.PeekAsync(Alice);

        stored.Select(m => m.Id).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        stored.Select(m => (m.StanzaXml, m.Stamp)).Should().Equal(messages.Select(m => (m.StanzaXml, m.Stamp)));
    }

    [StorageFact]
    public async Task Peek_StampWithOffset_KeepsTheInstantToTheMillisecond()
    {
        var stamp = new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));
        await Storage.Offline.TryStoreAsync(Alice, new OfflineMessage("<message/>", stamp), 10);

        var stored = (await Storage.Offline.PeekAsync(Alice)).Single();

        stored.Stamp.UtcDateTime.Should().Be(stamp.UtcDateTime);
    }

    [StorageFact]
    public async Task Peek_DoesNotRemoveAndIsSeparatePerOwner()
    {
        await Storage.Offline.TryStoreAsync(Alice, Message(1), 10);
        await Storage.Offline.TryStoreAsync(Bob, Message(2), 10);

        (await Storage.Offline.PeekAsync(Alice)).Should().ContainSingle();
        var again = await Storage.Offline.PeekAsync(Alice);

        again.Select(m => m.StanzaXml).Should().Equal(Message(1).StanzaXml);
        (await Storage.Offline.PeekAsync(Bob)).Select(m => m.StanzaXml).Should().Equal(Message(2).StanzaXml);
        (await Storage.Offline.PeekAsync("nobody@example.org")).Should().BeEmpty();
    }

    [StorageFact]
    public async Task Remove_ByIds_RemovesOnlyThose()
    {
        for (var i = 0; i < 5; i++)
        {
            await Storage.Offline.TryStoreAsync(Alice, Message(i), 10);
        }

        var stored = await Storage.Offline.PeekAsync(Alice);

        await Storage.Offline.RemoveAsync(Alice, [stored[1].Id, stored[3].Id, stored[3].Id + 1000]);

        (await Storage.Offline.PeekAsync(Alice)).Should().Equal(stored[0], stored[2], stored[4]);
        (await Storage.Offline.CountAsync(Alice)).Should().Be(3);
        await Storage.Offline.RemoveAsync(Alice, []);
        (await Storage.Offline.CountAsync(Alice)).Should().Be(3);
    }

    [StorageFact]
    public async Task Remove_IdsOfAnotherOwner_RemovesNothing()
    {
        await Storage.Offline.TryStoreAsync(Bob, Message(1), 10);
        var bobs = await Storage.Offline.PeekAsync(Bob);

        await Storage.Offline.RemoveAsync(Alice, [bobs[0].Id]);

        (await Storage.Offline.PeekAsync(Bob)).Should().Equal(bobs);
    }

    [StorageFact]
    public async Task Remove_ManyIds_RemovesAll()
    {
        for (var i = 0; i < 1200; i++)
        {
            await Storage.Offline.TryStoreAsync(Alice, Message(i), 2000);
        }

        var stored = await Storage.Offline.PeekAsync(Alice);

        await Storage.Offline.RemoveAsync(Alice, stored.Take(1100).Select(m => m.Id).ToArray());

        (await Storage.Offline.PeekAsync(Alice)).Should().Equal(stored.Skip(1100));
    }

    [StorageFact]
    public async Task Remove_FreesQuotaAndNewIdsStillIncrease()
    {
        await Storage.Offline.TryStoreAsync(Alice, Message(1), 2);
        await Storage.Offline.TryStoreAsync(Alice, Message(2), 2);
        var stored = await Storage.Offline.PeekAsync(Alice);
        (await Storage.Offline.TryStoreAsync(Alice, Message(3), 2)).Should().BeFalse();

        // Removing the newest must not let its id be handed out again, or a client could delete the wrong message.
        await Storage.Offline.RemoveAsync(Alice, [stored[1].Id]);
        (await Storage.Offline.TryStoreAsync(Alice, Message(4), 2)).Should().BeTrue();

        var now = await Storage.Offline.PeekAsync(Alice);
        now.Select(m => m.StanzaXml).Should().Equal(Message(1).StanzaXml, Message(4).StanzaXml);
        now[1].Id.Should().BeGreaterThan(stored[1].Id);
    }

    [StorageFact]
    public async Task Take_UntilRefused_RemovesTakenOldestFirstAndKeepsTheRest()
    {
        for (var i = 0; i < 4; i++)
        {
            await Storage.Offline.TryStoreAsync(Alice, Message(i), 10);
        }

        await Storage.Offline.TryStoreAsync(Bob, Message(9), 10);
        var stored = await Storage.Offline.PeekAsync(Alice);
        var seen = new List<StoredOfflineMessage>();

        var removed = await Storage.Offline.TakeAsync(Alice, m =>
        {
            seen.Add(m);
            return seen.Count <= 2;
        });

        removed.Should().Be(2);
        seen.Should().Equal(stored[0], stored[1], stored[2]);
        (await Storage.Offline.PeekAsync(Alice)).Should().Equal(stored[2], stored[3]);
        (await Storage.Offline.CountAsync(Bob)).Should().Be(1);
        (await Storage.Offline.TakeAsync("nobody@example.org", _ => true)).Should().Be(0);
    }

    [StorageFact]
    public async Task Take_ConcurrentFromTwoInstancesOnOneStore_EachMessageTakenOnce()
    {
        // Two resources of one user coming online on two nodes at once: neither may get a message the other got.
        for (var i = 0; i < 40; i++)
        {
            await Storage.Offline.TryStoreAsync(Alice, Message(i), 100);
        }

        var second = await OpenAsync();
        var stores = new[] { Storage.Offline, second.Offline };
        var taken = new System.Collections.Concurrent.ConcurrentBag<long>();

        await RunConcurrentlyAsync(6, i => stores[i % 2].TakeAsync(Alice, m =>
        {
            // Widens the window between reading and removing, where a take without the owner's lock would overlap.
            Thread.Sleep(1);
            taken.Add(m.Id);
            return true;
        }));

        taken.Should().HaveCount(40).And.OnlyHaveUniqueItems();
        (await Storage.Offline.CountAsync(Alice)).Should().Be(0);
    }

    // ---------------------------------------------------------------- user data

    [StorageFact]
    public async Task UserData_NeverSet_IsNull()
    {
        (await Storage.UserData.GetAsync(Alice, "vcard", "{vcard-temp}vCard")).Should().BeNull();
    }

    [StorageFact]
    public async Task UserData_Set_RoundTripsExactly()
    {
        // Non-ASCII, markup characters and a supplementary-plane character: stored as text, byte for byte.
        const string xml = "<vCard xmlns='vcard-temp'><FN>Émile &amp; \U0001F600 &lt;x&gt;</FN></vCard>";

        (await Storage.UserData.TrySetAsync(Alice, "vcard", "{vcard-temp}vCard", xml, 1)).Should().BeTrue();

        (await Storage.UserData.GetAsync(Alice, "vcard", "{vcard-temp}vCard")).Should().Be(xml);
    }

    [StorageFact]
    public async Task UserData_SetAgain_ReplacesEvenAtTheLimit()
    {
        await Storage.UserData.TrySetAsync(Alice, "private", "{a}x", "<x xmlns='a'>1</x>", 1);

        (await Storage.UserData.TrySetAsync(Alice, "private", "{a}x", "<x xmlns='a'>2</x>", 1)).Should().BeTrue();

        (await Storage.UserData.GetAsync(Alice, "private", "{a}x")).Should().Be("<x xmlns='a'>2</x>");
    }

    [StorageFact]
    public async Task UserData_NewKeyBeyondLimit_IsRefusedAndStoresNothing()
    {
        await Storage.UserData.TrySetAsync(Alice, "private", "{a}x", "<x xmlns='a'/>", 2);
        await Storage.UserData.TrySetAsync(Alice, "private", "{b}x", "<x xmlns='b'/>", 2);

        (await Storage.UserData.TrySetAsync(Alice, "private", "{c}x", "<x xmlns='c'/>", 2)).Should().BeFalse();

        (await Storage.UserData.GetAsync(Alice, "private", "{c}x")).Should().BeNull();
        // The limit counts one owner's documents of one kind only.
        (await Storage.UserData.TrySetAsync(Alice, "vcard", "{c}x", "<x xmlns='c'/>", 2)).Should().BeTrue();
        (await Storage.UserData.TrySetAsync(Bob, "private", "{c}x", "<x xmlns='c'/>", 2)).Should().BeTrue();
    }

    [StorageFact]
    public async Task UserData_LimitZero_StoresNothing()
    {
        (await Storage.UserData.TrySetAsync(Alice, "private", "{a}x", "<x xmlns='a'/>", 0)).Should().BeFalse();

        (await Storage.UserData.GetAsync(Alice, "private", "{a}x")).Should().BeNull();
    }

    [StorageFact]
    public async Task UserData_TwentyNewKeysConcurrentlyWithLimitFive_StoresExactlyFive()
    {
        var results = await RunConcurrentlyAsync(20, i => Storage.UserData.TrySetAsync(Alice, "private", $"{{n{i}}}x", $"<x xmlns='n{i}'/>", 5));

        results.Count(r => r).Should().Be(5);
        var stored = 0;
        for (var i = 0; i < 20; i++)
        {
            var xml = await Storage.UserData.GetAsync(Alice, "private", $"{{n{i}}}x");
            (xml is not null).Should().Be(results[i], "key {0} is stored exactly when its set succeeded", i);
            stored += xml is null ? 0 : 1;
        }

        stored.Should().Be(5);
    }

    [StorageFact]
    public async Task UserData_SeparatePerOwnerKindAndKey()
    {
        await Storage.UserData.TrySetAsync(Alice, "private", "{a}x", "alice-private-a", 10);
        await Storage.UserData.TrySetAsync(Alice, "private", "{b}x", "alice-private-b", 10);
        await Storage.UserData.TrySetAsync(Alice, "vcard", "{a}x", "alice-vcard-a", 10);
        await Storage.UserData.TrySetAsync(Bob, "private", "{a}x", "bob-private-a", 10);

        (await Storage.UserData.GetAsync(Alice, "private", "{a}x")).Should().Be("alice-private-a");
        (await Storage.UserData.GetAsync(Alice, "private", "{b}x")).Should().Be("alice-private-b");
        (await Storage.UserData.GetAsync(Alice, "vcard", "{a}x")).Should().Be("alice-vcard-a");
        (await Storage.UserData.GetAsync(Bob, "private", "{a}x")).Should().Be("bob-private-a");
        (await Storage.UserData.GetAsync(Bob, "private", "{b}x")).Should().BeNull();
    }

    [StorageFact]
    public async Task UserData_Delete_RemovesOnlyThatDocumentAndFreesItsPlace()
    {
        await Storage.UserData.TrySetAsync(Alice, "private", "{a}x", "a", 2);
        await Storage.UserData.TrySetAsync(Alice, "private", "{b}x", "b", 2);
        await Storage.UserData.TrySetAsync(Bob, "private", "{a}x", "bob", 2);

        (await Storage.UserData.DeleteAsync(Alice, "private", "{a}x")).Should().BeTrue();
        (await Storage.UserData.DeleteAsync(Alice, "private", "{a}x")).Should().BeFalse();

        (await Storage.UserData.GetAsync(Alice, "private", "{a}x")).Should().BeNull();
        (await Storage.UserData.GetAsync(Alice, "private", "{b}x")).Should().Be("b");
        (await Storage.UserData.GetAsync(Bob, "private", "{a}x")).Should().Be("bob");
        (await Storage.UserData.TrySetAsync(Alice, "private", "{c}x", "c", 2)).Should().BeTrue();
    }

    // ---------------------------------------------------------------- last activity

    [StorageFact]
    public async Task LastActivity_NeverSet_IsNull()
    {
        (await Storage.LastActivity.GetAsync(Alice)).Should().BeNull();
    }

    [StorageFact]
    public async Task LastActivity_Set_RoundTripsToTheMillisecondAndReplaces()
    {
        var first = new LastActivity(new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(2)), "Heading home");
        var second = new LastActivity(new DateTimeOffset(2025, 3, 5, 0, 0, 0, 1, TimeSpan.Zero), "");

        await Storage.LastActivity.SetAsync(Alice, first);
        var stored = await Storage.LastActivity.GetAsync(Alice);
        stored!.Stamp.Should().Be(first.Stamp);
        stored.Status.Should().Be("Heading home");

        await Storage.LastActivity.SetAsync(Alice, second);
        (await Storage.LastActivity.GetAsync(Alice)).Should().Be(second);
        (await Storage.LastActivity.GetAsync(Bob)).Should().BeNull();
    }

    // ---------------------------------------------------------------- lifecycle

    [StorageFact]
    public async Task Migrate_AgainAndFromAnotherInstance_IsIdempotentAndKeepsData()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        var version = await Storage.Rosters.SetItemAsync(Alice, Item(Bob));

        await Storage.MigrateAsync();
        var second = await OpenAsync();
        await second.MigrateAsync();

        (await second.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo([Credential("SHA-256", 1)]);
        (await second.Rosters.GetAsync(Alice)).Version.Should().Be(version);
        (await Storage.Accounts.CreateAsync(Domain, "bob", [])).Should().BeTrue();
        (await second.Accounts.ListAsync(Domain)).Should().Equal("alice", "bob");
    }

    [StorageFact]
    public async Task Reopen_AfterDispose_AllDataSurvives()
    {
        StoredCredential[] credentials = [Credential("SHA-1", 1), Credential("SHA-512", 2)];
        await Storage.Accounts.CreateAsync(Domain, "alice", credentials);
        var item = new RosterItem(Bob, "Bob", Subscription.From, true, ["Friends"]);
        await Storage.Rosters.SetItemAsync(Alice, Item("carol@example.net"));
        var version = await Storage.Rosters.SetItemAsync(Alice, item);
        await Storage.Rosters.AddPendingInAsync(Alice, Pending("dave@example.net"));
        var message = new OfflineMessage("<message id='kept'/>", new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero));
        await Storage.Offline.TryStoreAsync(Alice, message, 10);
        var offline = await Storage.Offline.PeekAsync(Alice);
        await Storage.UserData.TrySetAsync(Alice, "vcard", "{vcard-temp}vCard", "<vCard xmlns='vcard-temp'/>", 1);
        var last = new LastActivity(new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero), "gone");
        await Storage.LastActivity.SetAsync(Alice, last);
        await Storage.BlockLists.AddAsync(Alice, ["example.net", "mallory@example.net/phone"]);
        await Storage.DisposeAsync();

        var reopened = await OpenAsync();

        (await reopened.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo(credentials);
        var roster = await reopened.Rosters.GetAsync(Alice);
        roster.Version.Should().Be(version);
        roster.Items.Should().BeEquivalentTo([item, Item("carol@example.net")], o => o.WithStrictOrdering());
        (await reopened.Rosters.GetPendingInAsync(Alice)).Should().Equal(Pending("dave@example.net"));
        (await reopened.Offline.PeekAsync(Alice)).Should().Equal(offline);
        (await reopened.UserData.GetAsync(Alice, "vcard", "{vcard-temp}vCard")).Should().Be("<vCard xmlns='vcard-temp'/>");
        (await reopened.LastActivity.GetAsync(Alice)).Should().Be(last);
        (await reopened.BlockLists.GetAsync(Alice)).Should().Equal("example.net", "mallory@example.net/phone");
        (await reopened.Rosters.SetItemAsync(Alice, Item("erin@example.net"))).Should().BeGreaterThan(version);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// Starts <paramref name="count"/> calls at the same instant, each on a dedicated thread, so that they really overlap
    /// even on a two-core machine whose thread pool would otherwise run them nearly one after another (backends with
    /// synchronous I/O, such as SQLite, do their work before the first await).
    /// </summary>
    protected static async Task<T[]> RunConcurrentlyAsync<T>(int count, Func<int, Task<T>> call)
    {
        using var barrier = new Barrier(count);
        var tasks = new Task<Task<T>>[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            tasks[i] = Task.Factory.StartNew(
                () =>
                {
                    barrier.SignalAndWait();
                    return call(index);
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        return await Task.WhenAll(await Task.WhenAll(tasks));
    }

    /// <summary>A credential whose byte values are derived from <paramref name="seed"/>, so equal seeds give equal values.</summary>
    protected static StoredCredential Credential(string mechanism, int seed, int iterations = 4096)
    {
        var length = mechanism switch { "SHA-1" => 20, "SHA-512" => 64, _ => 32 };
        return new StoredCredential(
            mechanism,
            Bytes(seed, 16),
            iterations,
            Bytes(seed + 1000, length),
            Bytes(seed + 2000, length));

        // Includes 0x00 and 0xFF, which a text round trip would mangle.
        static byte[] Bytes(int seed, int length) => Enumerable.Range(0, length).Select(i => (byte)((seed * 31 + i * 17) % 256)).Prepend((byte)0).Append((byte)0xFF).ToArray();
    }

    private static RosterItem Item(string contact, string? name = null, IReadOnlyList<string>? groups = null) =>
        new(contact, name, Subscription.None, false, groups ?? []);

    private static PendingSubscription Pending(string contact) => Pending(contact, "hello");

    private static PendingSubscription Pending(string contact, string status) =>
        new(contact, $"<presence from='{contact}' to='{Alice}' type='subscribe'><status>{status}</status></presence>");

    private static OfflineMessage Message(int i) =>
        new($"<message from='{Bob}/r' to='{Alice}' id='m{i}'><body>{i}</body></message>", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + i));
}
