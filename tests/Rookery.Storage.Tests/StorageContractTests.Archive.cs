namespace Rookery.Storage.Tests;

/// <content>Message archives and archiving preferences (XEP-0313, XEP-0441).</content>
public abstract partial class StorageContractTests
{
    private const string Carol = "carol@example.net";

    [StorageFact]
    public async Task Archive_Append_QueryReturnsEveryFieldInIdOrder()
    {
        // Appended out of id order: the archive is ordered by id, not by arrival.
        var second = new ArchivedMessage("0002", Bob, "phone", new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(2)), ArchiveDirection.Outgoing, "<message id='2'><body>b &amp; 'é'</body></message>");
        var first = new ArchivedMessage("0001", Carol, null, new DateTimeOffset(2025, 3, 4, 3, 0, 0, 1, TimeSpan.Zero), ArchiveDirection.Incoming, "<message id='1'/>");
        (await Storage.Archive.AppendAsync(Alice, second)).Should().BeTrue();
        (await Storage.Archive.AppendAsync(Alice, first)).Should().BeTrue();

        var page = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!;

        page.Items.Should().HaveCount(2);
        page.Items[0].Should().Be(first);
        page.Items[1].Id.Should().Be("0002");
        page.Items[1].With.Should().Be(Bob);
        page.Items[1].WithResource.Should().Be("phone");
        page.Items[1].Stamp.Should().Be(second.Stamp);
        page.Items[1].Direction.Should().Be(ArchiveDirection.Outgoing);
        page.Items[1].StanzaXml.Should().Be(second.StanzaXml);
        page.Complete.Should().BeTrue();
        page.Count.Should().Be(2);
        page.FirstIndex.Should().Be(0);
        page.First.Should().Be("0001");
        page.Last.Should().Be("0002");
    }

    [StorageFact]
    public async Task Archive_AppendDuplicateId_ReturnsFalseAndKeepsTheFirst()
    {
        await Storage.Archive.AppendAsync(Alice, Archived("a1", Bob));

        (await Storage.Archive.AppendAsync(Alice, Archived("a1", Carol))).Should().BeFalse();
        // The same id in another archive is another message.
        (await Storage.Archive.AppendAsync(Bob, Archived("a1", Carol))).Should().BeTrue();

        var page = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!;
        page.Items.Should().ContainSingle().Which.With.Should().Be(Bob);
    }

    [StorageFact]
    public async Task Archive_AppendMany_StoresEveryFieldInEachOwnersArchive()
    {
        var toAlice = new ArchivedMessage("0002", Bob, "phone", new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(2)), ArchiveDirection.Outgoing, "<message id='2'><body>b &amp; 'é'</body></message>");
        var toAliceFirst = new ArchivedMessage("0001", Carol, null, new DateTimeOffset(2025, 3, 4, 3, 0, 0, 1, TimeSpan.Zero), ArchiveDirection.Incoming, "<message id='1'/>");
        var toBob = Archived("0002", Alice, resource: "desk");

        var stored = await Storage.Archive.AppendManyAsync([new(Alice, toAlice), new(Bob, toBob), new(Alice, toAliceFirst)]);

        stored.Should().Equal(true, true, true);
        var alice = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!;
        alice.Items.Should().Equal(toAliceFirst, toAlice with { Stamp = alice.Items[1].Stamp });
        alice.Items[1].Stamp.Should().Be(toAlice.Stamp);
        alice.Count.Should().Be(2);
        (await Storage.Archive.QueryAsync(Bob, new ArchiveQuery()))!.Items.Should().Equal(toBob);
    }

    [StorageFact]
    public async Task Archive_AppendManyDuplicates_ReportsFalseForEachAndKeepsTheFirst()
    {
        await Storage.Archive.AppendAsync(Alice, Archived("a1", Bob));

        // a1 is taken already; a2 twice in the batch: the first one wins. The same id in Bob's archive is another message.
        var stored = await Storage.Archive.AppendManyAsync(
            [new(Alice, Archived("a1", Carol)), new(Alice, Archived("a2", Bob)), new(Alice, Archived("a2", Carol)), new(Bob, Archived("a1", Carol))]);

        stored.Should().Equal(false, true, false, true);
        var page = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!;
        page.Items.Select(m => (m.Id, m.With)).Should().Equal(("a1", Bob), ("a2", Bob));
        (await Storage.Archive.QueryAsync(Bob, new ArchiveQuery()))!.Items.Select(m => m.Id).Should().Equal("a1");
    }

    [StorageFact]
    public async Task Archive_AppendManyEmpty_ReturnsEmptyAndStoresNothing()
    {
        (await Storage.Archive.AppendManyAsync([])).Should().BeEmpty();

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(0);
    }

    [StorageFact]
    public async Task Archive_AppendManyInvalidEntry_ThrowsAndStoresNothingOfTheBatch()
    {
        var act = () => Storage.Archive.AppendManyAsync([new(Alice, Archived("a1", Bob)), new(Alice, Archived("a2", ""))]);

        await act.Should().ThrowAsync<ArgumentException>();
        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(0);
    }

    [StorageFact]
    public async Task Archive_AppendManyLargeBatch_StoresAllInOrder()
    {
        var entries = Enumerable.Range(0, 300).Select(i => new ArchiveAppend(i % 3 == 0 ? Bob : Alice, Archived($"m{i:D4}", Carol))).ToList();

        var stored = await Storage.Archive.AppendManyAsync(entries);

        stored.Should().HaveCount(300).And.OnlyContain(s => s);
        var alice = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 300 }))!;
        alice.Items.Select(m => m.Id).Should().Equal(entries.Where(e => e.Owner == Alice).Select(e => e.Message.Id));
        (await Storage.Archive.QueryAsync(Bob, new ArchiveQuery { Max = 300 }))!.Count.Should().Be(100);
    }

    [StorageFact]
    public async Task Archive_Query_SeesOnlyTheOwnersArchive()
    {
        await Storage.Archive.AppendAsync(Alice, Archived("a1", Bob));
        await Storage.Archive.AppendAsync(Bob, Archived("b1", Alice));

        var alice = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!;
        var carol = (await Storage.Archive.QueryAsync(Carol, new ArchiveQuery()))!;

        alice.Items.Select(m => m.Id).Should().Equal("a1");
        carol.Items.Should().BeEmpty();
        carol.Count.Should().Be(0);
        carol.Complete.Should().BeTrue();
        carol.First.Should().BeNull();
    }

    [StorageFact]
    public async Task Archive_QueryWith_BareMatchesEveryResourceFullMatchesOne()
    {
        await Storage.Archive.AppendAsync(Alice, Archived("01", Bob, resource: "phone"));
        await Storage.Archive.AppendAsync(Alice, Archived("02", Carol));
        await Storage.Archive.AppendAsync(Alice, Archived("03", Bob));
        await Storage.Archive.AppendAsync(Alice, Archived("04", Bob, resource: "laptop"));

        var bob = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { With = Bob }))!;
        var phone = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { With = Bob, WithResource = "phone" }))!;

        bob.Items.Select(m => m.Id).Should().Equal("01", "03", "04");
        bob.Count.Should().Be(3);
        phone.Items.Select(m => m.Id).Should().Equal("01");
    }

    [StorageFact]
    public async Task Archive_QueryStartEnd_BothInclusiveToTheMillisecond()
    {
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            await Storage.Archive.AppendAsync(Alice, Archived($"0{i}", Bob, stamp: t0.AddMilliseconds(i)));
        }

        var page = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Start = t0.AddMilliseconds(1), End = t0.AddMilliseconds(3) }))!;
        var after = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Start = t0.AddMilliseconds(4) }))!;

        page.Items.Select(m => m.Id).Should().Equal("01", "02", "03");
        page.Count.Should().Be(3);
        after.Items.Select(m => m.Id).Should().Equal("04");
    }

    [StorageFact]
    public async Task Archive_QueryAfterIdBeforeIdAndIds_BoundTheResultSet()
    {
        await AppendNumberedAsync(Alice, 6);

        var between = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { AfterId = "m1", BeforeId = "m4" }))!;
        var ids = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Ids = ["m5", "m0", "m3"] }))!;

        between.Items.Select(m => m.Id).Should().Equal("m2", "m3");
        between.Count.Should().Be(2);
        between.FirstIndex.Should().Be(0);
        ids.Items.Select(m => m.Id).Should().Equal("m0", "m3", "m5");
    }

    [StorageFact]
    public async Task Archive_PagingForward_PagesUntilComplete()
    {
        await AppendNumberedAsync(Alice, 5);

        var one = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2 }))!;
        var two = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2, PageAfter = one.Last }))!;
        var three = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2, PageAfter = two.Last }))!;
        var beyond = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2, PageAfter = three.Last }))!;

        one.Items.Select(m => m.Id).Should().Equal("m0", "m1");
        one.Complete.Should().BeFalse();
        two.Items.Select(m => m.Id).Should().Equal("m2", "m3");
        two.Complete.Should().BeFalse();
        two.FirstIndex.Should().Be(2);
        three.Items.Select(m => m.Id).Should().Equal("m4");
        three.Complete.Should().BeTrue();
        three.FirstIndex.Should().Be(4);
        foreach (var page in new[] { one, two, three, beyond })
        {
            page.Count.Should().Be(5);
        }

        beyond.Items.Should().BeEmpty();
        beyond.Complete.Should().BeTrue();
    }

    [StorageFact]
    public async Task Archive_PagingForward_PageEndingExactlyAtTheEndIsComplete()
    {
        await AppendNumberedAsync(Alice, 4);

        var two = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2, PageAfter = "m1" }))!;

        two.Items.Select(m => m.Id).Should().Equal("m2", "m3");
        two.Complete.Should().BeTrue();
    }

    [StorageFact]
    public async Task Archive_PagingBackwards_LastPageFirstThenOlderPagesInArchiveOrder()
    {
        await AppendNumberedAsync(Alice, 5);

        var last = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2, Backwards = true }))!;
        var middle = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2, Backwards = true, PageBefore = last.First }))!;
        var first = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 2, Backwards = true, PageBefore = middle.First }))!;

        last.Items.Select(m => m.Id).Should().Equal("m3", "m4");
        last.Complete.Should().BeFalse();
        last.FirstIndex.Should().Be(3);
        middle.Items.Select(m => m.Id).Should().Equal("m1", "m2");
        middle.Complete.Should().BeFalse();
        first.Items.Select(m => m.Id).Should().Equal("m0");
        first.Complete.Should().BeTrue();
        first.FirstIndex.Should().Be(0);
    }

    [StorageFact]
    public async Task Archive_PagingWithFilter_CountAndIndexCountOnlyMatches()
    {
        for (var i = 0; i < 6; i++)
        {
            await Storage.Archive.AppendAsync(Alice, Archived($"m{i}", i % 2 == 0 ? Bob : Carol));
        }

        var page = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { With = Bob, Max = 1, PageAfter = "m1" }))!;

        page.Items.Select(m => m.Id).Should().Equal("m2");
        page.Count.Should().Be(3);
        page.FirstIndex.Should().Be(1);
        page.Complete.Should().BeFalse();
    }

    [StorageFact]
    public async Task Archive_MaxZero_OnlyTheCount()
    {
        await AppendNumberedAsync(Alice, 3);

        var page = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { Max = 0 }))!;

        page.Items.Should().BeEmpty();
        page.Count.Should().Be(3);
        page.Complete.Should().BeFalse();
    }

    [StorageFact]
    public async Task Archive_UnknownIds_NullWhateverTheField()
    {
        await AppendNumberedAsync(Alice, 3);
        await Storage.Archive.AppendAsync(Bob, Archived("bobs", Alice));

        ArchiveQuery[] queries =
        [
            new() { PageAfter = "nope" },
            new() { Backwards = true, PageBefore = "nope" },
            new() { AfterId = "nope" },
            new() { BeforeId = "nope" },
            new() { Ids = ["m0", "nope"] },
            // An id of another user's archive is not in this one.
            new() { PageAfter = "bobs" },
        ];
        foreach (var query in queries)
        {
            (await Storage.Archive.QueryAsync(Alice, query)).Should().BeNull("{0} names an id that is not in the archive", query);
        }

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery { PageAfter = "m0", Ids = ["m1", "m2"] })).Should().NotBeNull();
    }

    [StorageFact]
    public async Task Archive_Replace_ChangesOnlyTheStanzaOfThatMessage()
    {
        var original = new ArchivedMessage("m1", Bob, "Bob", new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero), ArchiveDirection.Incoming, "<message id='1'><body>secret</body></message>");
        await Storage.Archive.AppendAsync(Alice, original);
        await Storage.Archive.AppendAsync(Alice, Archived("m2", Bob));
        // The same id in another owner's archive is another message and stays as it was.
        await Storage.Archive.AppendAsync(Bob, original);

        (await Storage.Archive.ReplaceAsync(Alice, "m1", "<message id='1'><retracted/></message>")).Should().BeTrue();

        var alice = (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!;
        alice.Items.Select(m => m.Id).Should().Equal("m1", "m2");
        alice.Items[0].Should().Be(original with { StanzaXml = "<message id='1'><retracted/></message>" });
        alice.Items[1].StanzaXml.Should().Be(Archived("m2", Bob).StanzaXml);
        (await Storage.Archive.QueryAsync(Bob, new ArchiveQuery()))!.Items.Should().ContainSingle().Which.Should().Be(original);
    }

    [StorageFact]
    public async Task Archive_ReplaceUnknownId_ReturnsFalseAndStoresNothing()
    {
        await Storage.Archive.AppendAsync(Bob, Archived("m1", Carol));

        (await Storage.Archive.ReplaceAsync(Alice, "m1", "<message/>")).Should().BeFalse("the id is in another owner's archive only");

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(0);
    }

    [StorageFact]
    public async Task Archive_DeleteAll_RemovesOnlyThatOwnersMessages()
    {
        await AppendNumberedAsync(Alice, 3);
        await AppendNumberedAsync(Bob, 2);
        await Storage.Archive.SetPreferencesAsync(Alice, new ArchivePreferences(ArchiveDefault.Never, [], []));

        (await Storage.Archive.DeleteAllAsync(Alice)).Should().Be(3);

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(0);
        (await Storage.Archive.QueryAsync(Bob, new ArchiveQuery()))!.Count.Should().Be(2);
        (await Storage.Archive.GetPreferencesAsync(Alice))!.Default.Should().Be(ArchiveDefault.Never);
    }

    [StorageFact]
    public async Task Archive_Prune_RemovesOlderMessagesOfEveryArchive()
    {
        var cutoff = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        await Storage.Archive.AppendAsync(Alice, Archived("a-old", Bob, stamp: cutoff.AddMilliseconds(-1)));
        await Storage.Archive.AppendAsync(Alice, Archived("a-new", Bob, stamp: cutoff));
        await Storage.Archive.AppendAsync(Bob, Archived("b-old", Alice, stamp: cutoff.AddDays(-30)));
        await Storage.Archive.AppendAsync(Bob, Archived("b-new", Alice, stamp: cutoff.AddDays(1)));

        (await Storage.Archive.PruneAsync(cutoff)).Should().Be(2);

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Items.Select(m => m.Id).Should().Equal("a-new");
        (await Storage.Archive.QueryAsync(Bob, new ArchiveQuery()))!.Items.Select(m => m.Id).Should().Equal("b-new");
        (await Storage.Archive.PruneAsync(cutoff)).Should().Be(0);
    }

    [StorageFact]
    public async Task Archive_Prune_MoreThanOneBatch_RemovesAll()
    {
        var old = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await RunConcurrentlyAsync(10, async t =>
        {
            for (var i = 0; i < 150; i++)
            {
                await Storage.Archive.AppendAsync(Alice, Archived($"{t:D2}-{i:D4}", Bob, stamp: old));
            }

            return 0;
        });

        (await Storage.Archive.PruneAsync(old.AddDays(1))).Should().Be(1500);

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(0);
    }

    [StorageFact]
    public async Task ArchivePreferences_NeverSet_Null()
    {
        (await Storage.Archive.GetPreferencesAsync(Alice)).Should().BeNull();
    }

    [StorageFact]
    public async Task ArchivePreferences_Set_RoundTripsAndReplaces()
    {
        await Storage.Archive.SetPreferencesAsync(Alice, new ArchivePreferences(ArchiveDefault.Roster, [Carol, Bob + "/phone"], [Bob]));
        var first = await Storage.Archive.GetPreferencesAsync(Alice);
        await Storage.Archive.SetPreferencesAsync(Alice, new ArchivePreferences(ArchiveDefault.Never, [], []));
        var second = await Storage.Archive.GetPreferencesAsync(Alice);

        first!.Default.Should().Be(ArchiveDefault.Roster);
        first.Always.Should().BeEquivalentTo([Carol, Bob + "/phone"]);
        first.Never.Should().Equal(Bob);
        second!.Default.Should().Be(ArchiveDefault.Never);
        second.Always.Should().BeEmpty();
        second.Never.Should().BeEmpty();
        (await Storage.Archive.GetPreferencesAsync(Bob)).Should().BeNull();
    }

    [StorageFact]
    public async Task ArchivePreferences_JidInBothLists_KeptInNeverOnly()
    {
        await Storage.Archive.SetPreferencesAsync(Alice, new ArchivePreferences(ArchiveDefault.Always, [Bob, Carol, Bob], [Bob]));

        var prefs = (await Storage.Archive.GetPreferencesAsync(Alice))!;

        prefs.Always.Should().Equal(Carol);
        prefs.Never.Should().Equal(Bob);
    }

    [StorageFact]
    public async Task Archive_Reopen_MessagesAndPreferencesSurvive()
    {
        var message = Archived("kept", Bob, resource: "r", stamp: new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero));
        await Storage.Archive.AppendAsync(Alice, message);
        await Storage.Archive.SetPreferencesAsync(Alice, new ArchivePreferences(ArchiveDefault.Roster, [Bob], [Carol]));
        await Storage.DisposeAsync();

        var reopened = await OpenAsync();

        (await reopened.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Items.Should().Equal(message);
        var prefs = (await reopened.Archive.GetPreferencesAsync(Alice))!;
        prefs.Default.Should().Be(ArchiveDefault.Roster);
        prefs.Always.Should().Equal(Bob);
        prefs.Never.Should().Equal(Carol);
    }

    private async Task AppendNumberedAsync(string owner, int count)
    {
        for (var i = 0; i < count; i++)
        {
            (await Storage.Archive.AppendAsync(owner, Archived($"m{i}", Carol))).Should().BeTrue();
        }
    }

    private static ArchivedMessage Archived(string id, string with, string? resource = null, DateTimeOffset? stamp = null) =>
        new(id, with, resource, stamp ?? DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), ArchiveDirection.Incoming, $"<message id='{id}'><body>{id}</body></message>");
}
