using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Modules.Mam;
using Rookery.Storage;

namespace Rookery.Modules.Tests;

/// <summary>Group commit of archive writes over a real SQLite archive.</summary>
public sealed class MamArchiveWriterTests : SqliteTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AppendAsync_ManyConcurrentCallers_ShareCommitsAndEveryMessageIsQueryable()
    {
        await using var writer = CreateWriter();
        const int owners = 20;
        const int perOwner = 30;

        // Started together, as many streams' hooks are: the entries queued while a commit runs go into the next one.
        var appends = Enumerable.Range(0, owners * perOwner)
            .Select(i => writer.AppendAsync(Owner(i % owners), Archived($"m{i:D4}")))
            .ToList();
        var stored = await Task.WhenAll(appends).WaitAsync(Timeout);

        stored.Should().OnlyContain(s => s);
        writer.Written.Should().Be(owners * perOwner);
        writer.Commits.Should().BeLessThan(owners * perOwner, "callers share commits instead of one transaction each");
        writer.Commits.Should().BeGreaterThanOrEqualTo((owners * perOwner + MamArchiveWriter.MaxBatchSize - 1) / MamArchiveWriter.MaxBatchSize);
        for (var o = 0; o < owners; o++)
        {
            var page = (await Storage.Archive.QueryAsync(Owner(o), new ArchiveQuery { Max = perOwner + 1 }))!;
            page.Items.Select(m => m.Id).Should().Equal(Enumerable.Range(0, perOwner).Select(k => $"m{(k * owners) + o:D4}"));
        }
    }

    [Fact]
    public async Task AppendAsync_Alone_CommitsAtOnceWithoutWaitingForCompany()
    {
        await using var writer = CreateWriter();

        (await writer.AppendAsync(Owner(0), Archived("a1")).WaitAsync(Timeout)).Should().BeTrue();
        // The same id again: stored once, the second caller learns it was there.
        (await writer.AppendAsync(Owner(0), Archived("a1")).WaitAsync(Timeout)).Should().BeFalse();

        writer.Commits.Should().Be(2);
        (await Storage.Archive.QueryAsync(Owner(0), new ArchiveQuery()))!.Items.Select(m => m.Id).Should().Equal("a1");
    }

    [Fact]
    public async Task AppendAsync_BatchFails_EveryWaiterOfItFaults()
    {
        await using var writer = CreateWriter();
        await DropArchiveTableAsync();

        var appends = Enumerable.Range(0, 50).Select(i => writer.AppendAsync(Owner(i % 5), Archived($"m{i:D4}"))).ToList();
        var all = Task.WhenAll(appends);
        await FluentActions.Awaiting(() => all.WaitAsync(Timeout)).Should().ThrowAsync<SqliteException>();

        appends.Should().OnlyContain(t => t.IsFaulted && t.Exception!.InnerException is SqliteException);
        writer.Written.Should().Be(50);
    }

    [Fact]
    public async Task AppendAsync_InvalidEntry_RejectedAtOnceWithoutJoiningABatch()
    {
        await using var writer = CreateWriter();

        await FluentActions.Awaiting(() => writer.AppendAsync(Owner(0), Archived(""))).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => writer.AppendAsync("", Archived("a1"))).Should().ThrowAsync<ArgumentException>();

        writer.Commits.Should().Be(0);
    }

    [Fact]
    public async Task StopAsync_FlushesQueuedEntries_LaterAppendsAreWrittenDirectly()
    {
        var writer = CreateWriter();
        var appends = Enumerable.Range(0, 300).Select(i => writer.AppendAsync(Owner(i % 3), Archived($"m{i:D4}"))).ToList();

        await writer.StopAsync(CancellationToken.None).WaitAsync(Timeout);

        // Stopping returns once what was queued is committed (the callers' continuations may still be on their way).
        (await CountAsync()).Should().Be(300, "stopping writes what was queued");
        (await Task.WhenAll(appends).WaitAsync(Timeout)).Should().OnlyContain(s => s);
        var commits = writer.Commits;
        (await writer.AppendAsync(Owner(0), Archived("late")).WaitAsync(Timeout)).Should().BeTrue();
        writer.Commits.Should().Be(commits, "after stopping, an append is written on its own");
        (await CountAsync()).Should().Be(301);
    }

    private async Task<int> CountAsync()
    {
        var total = 0;
        for (var o = 0; o < 3; o++)
        {
            total += (await Storage.Archive.QueryAsync(Owner(o), new ArchiveQuery { Max = 0 }))!.Count;
        }

        return total;
    }

    private MamArchiveWriter CreateWriter() => new(Storage.Archive, NullLogger<MamArchiveWriter>.Instance);

    private async Task DropArchiveTableAsync()
    {
        // A real storage failure: the table the batch inserts into is gone.
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "DROP TABLE mam_messages";
        await command.ExecuteNonQueryAsync();
    }

    private static string Owner(int i) => $"user{i}@example.org";

    private static ArchivedMessage Archived(string id) =>
        new(id, "peer@example.org", null, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), ArchiveDirection.Incoming, $"<message><body>{id}</body></message>");
}
