using Dapper;
using Microsoft.Data.Sqlite;
using Rookery.Storage.Sqlite;

namespace Rookery.Storage.Tests;

/// <summary>The storage contract against SQLite, plus the SQLite-specific settings and migrations. A fresh file per test.</summary>
public sealed class SqliteStorageTests : StorageContractTests
{
    // A directory that does not exist yet, so every test also covers its creation.
    private readonly string _root = Path.Combine(Path.GetTempPath(), "rookery-storage-tests", Guid.NewGuid().ToString("N"));

    private string DbPath => Path.Combine(_root, "data", "rookery.db");

    protected override Task<IStorage> CreateStorageAsync() =>
        Task.FromResult<IStorage>(new SqliteStorage(new SqliteStorageOptions { Path = DbPath }));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void Migrate_MissingDirectory_CreatesIt()
    {
        File.Exists(DbPath).Should().BeTrue();
    }

    [Fact]
    public async Task Connections_UseWalFullSyncForeignKeysAndBusyTimeout()
    {
        await using var storage = new SqliteStorage(new SqliteStorageOptions { Path = DbPath, BusyTimeout = TimeSpan.FromMilliseconds(1234) });
        await using var connection = await storage.Database.OpenAsync(CancellationToken.None);

        (await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode")).Should().Be("wal");
        // 2 = FULL: an offline message must be on disk before the sender's stanza counts as handled.
        (await connection.ExecuteScalarAsync<long>("PRAGMA synchronous")).Should().Be(2);
        (await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys")).Should().Be(1);
        (await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout")).Should().Be(1234);
    }

    [Fact]
    public async Task OpenAsync_OffThePool_TheDiskWorkMovesToAPoolThread()
    {
        // A socket engine thread (the server runs socket completions inline) must not do SQLite's synchronous work:
        // called from a thread that is not a pool thread, the call yields before any disk work. The caller here has a
        // context that holds what is posted to it, so that nothing can run the open before the assertion (a socket
        // engine thread has no context: the yield goes to the pool). Checking the task's state after the thread ended
        // instead raced with the pool, which could finish the open first on a loaded machine.
        await using var storage = new SqliteStorage(new SqliteStorageOptions { Path = DbPath });
        var context = new HeldWorkContext();
        Task<SqliteConnection>? opening = null;
        var caller = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(context);
            opening = storage.Database.OpenAsync(CancellationToken.None);
        });
        caller.Start();
        caller.Join();

        opening!.IsCompleted.Should().BeFalse("the caller's thread did not run the open");
        context.Held.Should().ContainSingle("the open waits for the yield's continuation");
        await Task.Run(context.RunHeld);
        await using var connection = await opening;
        connection.State.Should().Be(System.Data.ConnectionState.Open);

        // From a pool thread it stays synchronous, as Microsoft.Data.Sqlite is: no hop where none is needed.
        var fromPool = await Task.Run(() =>
        {
            var task = storage.Database.OpenAsync(CancellationToken.None);
            return (task.IsCompleted, task);
        });
        fromPool.IsCompleted.Should().BeTrue();
        await (await fromPool.task).DisposeAsync();
    }

    [Fact]
    public async Task Migrate_RecordsEveryEmbeddedMigrationOnce()
    {
        await Storage.MigrateAsync();

        await using var connection = await OpenRawAsync();
        var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")).ToList();
        versions.Should().Equal(EmbeddedMigrations().Select(m => (long)m.Version));
        versions.Should().StartWith([1L, 2L]).And.Contain(4L);
    }

    [Fact]
    public async Task Migrator_NewMigrationAdded_AppliesOnlyThatOne()
    {
        await using var connection = await OpenRawAsync();
        var migrator = new SqliteMigrator([.. EmbeddedMigrations(), new SqliteMigration(9000, "9000_extra.sql", "CREATE TABLE extra (x INTEGER);")]);

        (await migrator.MigrateAsync(connection)).Should().Be(1);
        (await migrator.MigrateAsync(connection)).Should().Be(0);

        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'extra'")).Should().Be(1);
        (await connection.ExecuteScalarAsync<long>("SELECT MAX(version) FROM schema_version")).Should().Be(9000);
    }

    [Fact]
    public async Task Migrator_EarlierNumberArrivesAfterALaterOne_AppliesItToo()
    {
        // Features reserve migration numbers and land in any order (blocking's 0003 after archiving's 0004).
        await using var connection = await OpenRawAsync();
        var later = new SqliteMigrator([.. EmbeddedMigrations(), new SqliteMigration(9002, "9002_later.sql", "CREATE TABLE later (x INTEGER);")]);
        var both = new SqliteMigrator([.. EmbeddedMigrations(), new SqliteMigration(9001, "9001_earlier.sql", "CREATE TABLE earlier (x INTEGER);"), new SqliteMigration(9002, "9002_later.sql", "CREATE TABLE later (x INTEGER);")]);

        (await later.MigrateAsync(connection)).Should().Be(1);
        (await both.MigrateAsync(connection)).Should().Be(1);
        (await both.MigrateAsync(connection)).Should().Be(0);

        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'earlier'")).Should().Be(1);
        (await connection.QueryAsync<long>("SELECT version FROM schema_version WHERE version > 9000 ORDER BY version")).Should().Equal(9001L, 9002L);
    }

    [Fact]
    public async Task Migrator_FailingMigration_RollsBackAndIsRetriedLater()
    {
        await using var connection = await OpenRawAsync();
        var broken = new SqliteMigrator([.. EmbeddedMigrations(), new SqliteMigration(9000, "9000_broken.sql", "CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;")]);

        var act = () => broken.MigrateAsync(connection);

        await act.Should().ThrowAsync<SqliteException>();
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'")).Should().Be(0);
        (await connection.ExecuteScalarAsync<long>("SELECT MAX(version) FROM schema_version")).Should().Be(new SqliteMigrator().LatestVersion);

        var fixedMigrator = new SqliteMigrator([.. EmbeddedMigrations(), new SqliteMigration(9000, "9000_fixed.sql", "CREATE TABLE half (x INTEGER);")]);
        (await fixedMigrator.MigrateAsync(connection)).Should().Be(1);
    }

    [Fact]
    public async Task Migrate_DatabaseNewerThanServer_Throws()
    {
        await using (var connection = await OpenRawAsync())
        {
            await connection.ExecuteAsync("INSERT INTO schema_version (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)");
        }

        var act = () => Storage.MigrateAsync();

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*9999*");
    }

    [Fact]
    public void Options_Invalid_AreRejected()
    {
        var emptyPath = () => new SqliteStorage(new SqliteStorageOptions { Path = " " });
        var negativeTimeout = () => new SqliteStorage(new SqliteStorageOptions { Path = DbPath, BusyTimeout = TimeSpan.FromSeconds(-1) });

        emptyPath.Should().Throw<ArgumentException>();
        negativeTimeout.Should().Throw<ArgumentOutOfRangeException>();
    }

    /// <summary>A synchronization context that keeps what is posted to it until the test runs it.</summary>
    private sealed class HeldWorkContext : SynchronizationContext
    {
        public List<(SendOrPostCallback Callback, object? State)> Held { get; } = [];

        public override void Post(SendOrPostCallback d, object? state)
        {
            lock (Held)
            {
                Held.Add((d, state));
            }
        }

        public void RunHeld()
        {
            List<(SendOrPostCallback Callback, object? State)> work;
            lock (Held)
            {
                work = [.. Held];
                Held.Clear();
            }

            foreach (var (callback, state) in work)
            {
                callback(state);
            }
        }
    }

    private static IReadOnlyList<SqliteMigration> EmbeddedMigrations() => new SqliteMigrator().Migrations;

    private async Task<SqliteConnection> OpenRawAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }
}
