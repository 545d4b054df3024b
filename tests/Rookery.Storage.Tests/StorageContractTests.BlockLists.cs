namespace Rookery.Storage.Tests;

/// <content>Blocked JIDs per user (XEP-0191).</content>
public abstract partial class StorageContractTests
{
    [StorageFact]
    public async Task BlockList_NeverSet_IsEmpty()
    {
        (await Storage.BlockLists.GetAsync(Alice)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task BlockList_Add_CountsOnlyNewJidsAndListsThemOrdinally()
    {
        // Full, bare, domain and domain/resource forms are kept as given; U+FA0E and U+20000 sort differently in UTF-16
        // ordinal and UTF-8 byte order, so a backend that relies on its collation fails here.
        (await Storage.BlockLists.AddAsync(Alice, ["zed@example.net/phone", "example.com", "\U00020000@example.net"])).Should().Be(3);
        (await Storage.BlockLists.AddAsync(Alice, ["example.com", "\uFA0E@example.net", "\uFA0E@example.net", "example.com/bot"])).Should().Be(2);

        (await Storage.BlockLists.GetAsync(Alice)).Should().Equal(
            new[] { "zed@example.net/phone", "example.com", "\U00020000@example.net", "\uFA0E@example.net", "example.com/bot" }.Order(StringComparer.Ordinal));
        (await Storage.BlockLists.GetAsync(Bob)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task BlockList_AddNothing_ChangesNothing()
    {
        await Storage.BlockLists.AddAsync(Alice, ["mallory@example.net"]);

        (await Storage.BlockLists.AddAsync(Alice, [])).Should().Be(0);

        (await Storage.BlockLists.GetAsync(Alice)).Should().Equal("mallory@example.net");
    }

    [StorageFact]
    public async Task BlockList_Remove_CountsListedJidsAndKeepsTheRest()
    {
        await Storage.BlockLists.AddAsync(Alice, ["a@example.net", "b@example.net", "example.com"]);
        await Storage.BlockLists.AddAsync(Bob, ["a@example.net"]);

        (await Storage.BlockLists.RemoveAsync(Alice, ["a@example.net", "never@example.net", "example.com"])).Should().Be(2);

        (await Storage.BlockLists.GetAsync(Alice)).Should().Equal("b@example.net");
        (await Storage.BlockLists.GetAsync(Bob)).Should().Equal("a@example.net");
    }

    [StorageFact]
    public async Task BlockList_Clear_EmptiesOnlyThatOwner()
    {
        await Storage.BlockLists.AddAsync(Alice, ["a@example.net", "b@example.net"]);
        await Storage.BlockLists.AddAsync(Bob, ["a@example.net"]);

        (await Storage.BlockLists.ClearAsync(Alice)).Should().Be(2);
        (await Storage.BlockLists.ClearAsync(Alice)).Should().Be(0);

        (await Storage.BlockLists.GetAsync(Alice)).Should().BeEmpty();
        (await Storage.BlockLists.GetAsync(Bob)).Should().Equal("a@example.net");
        (await Storage.BlockLists.AddAsync(Alice, ["b@example.net"])).Should().Be(1);
    }

    [StorageFact]
    public async Task BlockList_ConcurrentAddsOfOneJid_CountedOnce()
    {
        var results = await RunConcurrentlyAsync(10, _ => Storage.BlockLists.AddAsync(Alice, ["mallory@example.net"]));

        results.Sum().Should().Be(1);
        (await Storage.BlockLists.GetAsync(Alice)).Should().Equal("mallory@example.net");
    }
}
