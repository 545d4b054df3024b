using Dapper;
using Npgsql;
using Rookery.Storage.Postgres;
using Rookery.TestKit;

namespace Rookery.Storage.Tests;

/// <summary>
/// The storage contract against PostgreSQL, plus what only a shared database has to get right: several nodes migrating
/// and storing at once. A fresh schema per test (dropped afterwards), so tests can run in parallel on one database.
/// Skipped without a reachable <c>TEST_POSTGRES_CONNECTION</c>, failed instead under <c>CI=true</c>.
/// </summary>
[PostgresBackend]
public sealed class PostgresStorageTests : StorageContractTests
{
    private const string Alice = "alice@example.org";

    private readonly string _schema = PostgresTestDatabase.NewSchemaName();
    private readonly List<string> _schemas = [];
    private readonly List<PostgresStorage> _unmigrated = [];

    protected override Task<IStorage> CreateStorageAsync() => Task.FromResult<IStorage>(Create(_schema));

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
            foreach (var storage in _unmigrated)
            {
                await storage.DisposeAsync();
            }
        }
        finally
        {
            foreach (var schema in _schemas)
            {
                await PostgresTestDatabase.DropSchemaAsync(schema);
            }
        }
    }

    [StorageFact]
    public async Task Migrate_RecordsEveryEmbeddedMigrationOnceInTheSchema()
    {
        await Storage.MigrateAsync();

        await using var connection = await OpenRawAsync(_schema);
        var versions = (await connection.QueryAsync<int>("SELECT version FROM schema_version ORDER BY version")).ToList();
        versions.Should().Equal(new PostgresMigrator().Migrations.Select(m => m.Version));
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema AND table_name = 'offline'", new { Schema = _schema }))
            .Should().Be(1, "the tables live in the configured schema");
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'schema_version'"))
            .Should().Be(0, "nothing may leak into public");
    }

    [StorageFact]
    public async Task Migrate_ThreeNodesAtOnceOnAFreshSchema_MigrateExactlyOnce()
    {
        var schema = PostgresTestDatabase.NewSchemaName();
        var nodes = Enumerable.Range(0, 3).Select(_ => CreateUnmigrated(schema)).ToArray();

        // Without the advisory lock, concurrent CREATE SCHEMA / CREATE TABLE fail with unique violations in the catalog,
        // or two nodes both apply a script.
        var applied = await RunConcurrentlyAsync(3, i => nodes[i].MigrateCountingAsync());

        var scripts = new PostgresMigrator().Migrations.Count;
        applied.Sum().Should().Be(scripts, "the scripts ran once in all: {0}", string.Join(", ", applied));
        applied.Count(a => a > 0).Should().Be(1);
        await using var connection = await OpenRawAsync(schema);
        (await connection.QueryAsync<int>("SELECT version FROM schema_version ORDER BY version"))
            .Should().Equal(new PostgresMigrator().Migrations.Select(m => m.Version));

        // Every node works on the result, and sees the others' writes.
        (await nodes[1].Accounts.CreateAsync("example.org", "alice", [])).Should().BeTrue();
        (await nodes[2].Accounts.ExistsAsync("example.org", "alice")).Should().BeTrue();
        (await Task.WhenAll(nodes.Select(n => n.MigrateCountingAsync()))).Should().AllBeEquivalentTo(0);
    }

    [StorageFact]
    public async Task TryStore_ThreeNodesConcurrently_StoreExactlyTheLimit()
    {
        // Three instances, three connection pools: the limit must hold through the database, as between real nodes.
        var nodes = new[] { Storage, await OpenAsync(), await OpenAsync() };

        var results = await RunConcurrentlyAsync(30, i => nodes[i % 3].Offline.TryStoreAsync(Alice, Message(i), limit: 10));

        results.Count(stored => stored).Should().Be(10);
        (await nodes[1].Offline.CountAsync(Alice)).Should().Be(10);
        var stored = await nodes[2].Offline.PeekAsync(Alice);
        stored.Select(m => m.StanzaXml).Should().BeEquivalentTo(Enumerable.Range(0, 30).Where(i => results[i]).Select(i => Message(i).StanzaXml));
        stored.Select(m => m.Id).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
    }

    [StorageFact]
    public async Task SetItem_ThreeNodesConcurrently_GiveDistinctVersionsAndKeepEveryItem()
    {
        var nodes = new[] { Storage, await OpenAsync(), await OpenAsync() };

        var versions = await RunConcurrentlyAsync(30, i => nodes[i % 3].Rosters.SetItemAsync(
            Alice, new RosterItem($"c{i:D2}@example.net", null, Subscription.None, false, [])));

        versions.Should().OnlyHaveUniqueItems();
        var roster = await nodes[1].Rosters.GetAsync(Alice);
        roster.Items.Should().HaveCount(30);
        roster.Version.Should().Be(versions.Max());
    }

    [StorageFact]
    public async Task Schemas_KeepTheirDataApart()
    {
        await Storage.Accounts.CreateAsync("example.org", "alice", []);
        await Storage.Offline.TryStoreAsync(Alice, Message(1), 10);
        var other = CreateUnmigrated(PostgresTestDatabase.NewSchemaName());
        await other.MigrateAsync();

        (await other.Accounts.ExistsAsync("example.org", "alice")).Should().BeFalse();
        (await other.Offline.CountAsync(Alice)).Should().Be(0);
        (await other.Accounts.CreateAsync("example.org", "alice", [])).Should().BeTrue();
        (await Storage.Accounts.CountAsync("example.org")).Should().Be(1);
    }

    [StorageFact]
    public async Task Stamps_SubMillisecondTicks_AreTruncatedToTheMillisecondAsInSqlite()
    {
        var stamp = new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(-5)).AddTicks(9999);
        var truncated = new DateTimeOffset(2025, 3, 4, 10, 6, 7, 890, TimeSpan.Zero);

        await Storage.Offline.TryStoreAsync(Alice, new OfflineMessage("<message/>", stamp), 10);
        await Storage.LastActivity.SetAsync(Alice, new LastActivity(stamp, ""));

        (await Storage.Offline.PeekAsync(Alice)).Single().Stamp.Should().Be(truncated).And.HaveOffset(TimeSpan.Zero);
        (await Storage.LastActivity.GetAsync(Alice))!.Stamp.Should().Be(truncated).And.HaveOffset(TimeSpan.Zero);
    }

    [StorageFact]
    public async Task Migrator_NewMigrationAdded_AppliesOnlyThatOne()
    {
        await using var connection = await OpenRawAsync(_schema);
        var migrator = new PostgresMigrator([.. new PostgresMigrator().Migrations, new PostgresMigration(9000, "9000_extra.sql", "CREATE TABLE extra (x integer);")]);

        (await migrator.MigrateAsync(connection, _schema)).Should().Be(1);
        (await migrator.MigrateAsync(connection, _schema)).Should().Be(0);

        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema AND table_name = 'extra'", new { Schema = _schema }))
            .Should().Be(1);
        (await connection.ExecuteScalarAsync<int>("SELECT MAX(version) FROM schema_version")).Should().Be(9000);
    }

    [StorageFact]
    public async Task Migrator_FailingMigration_RollsBackAndIsRetriedLater()
    {
        await using var connection = await OpenRawAsync(_schema);
        var broken = new PostgresMigrator([
            .. new PostgresMigrator().Migrations,
            new PostgresMigration(9000, "9000_half.sql", "CREATE TABLE half (x integer);"),
            new PostgresMigration(9001, "9001_broken.sql", "SELECT * FROM no_such_table;"),
        ]);

        var act = () => broken.MigrateAsync(connection, _schema);

        await act.Should().ThrowAsync<PostgresException>();
        // One transaction for the whole run: the script before the broken one is rolled back too.
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema AND table_name = 'half'", new { Schema = _schema }))
            .Should().Be(0);
        (await connection.ExecuteScalarAsync<int>("SELECT MAX(version) FROM schema_version")).Should().Be(new PostgresMigrator().LatestVersion);

        var fixedMigrator = new PostgresMigrator([
            .. new PostgresMigrator().Migrations,
            new PostgresMigration(9000, "9000_half.sql", "CREATE TABLE half (x integer);"),
            new PostgresMigration(9001, "9001_fixed.sql", "CREATE TABLE whole (x integer);"),
        ]);
        (await fixedMigrator.MigrateAsync(connection, _schema)).Should().Be(2);
    }

    [StorageFact]
    public async Task Migrator_EarlierNumberArrivesAfterALaterOne_AppliesItToo()
    {
        // Features reserve migration numbers and land in any order (the SQLite backend's 0003 after 0004).
        await using var connection = await OpenRawAsync(_schema);
        var later = new PostgresMigrator([.. new PostgresMigrator().Migrations, new PostgresMigration(9002, "9002_later.sql", "CREATE TABLE later (x integer);")]);
        var both = new PostgresMigrator([
            .. new PostgresMigrator().Migrations,
            new PostgresMigration(9001, "9001_earlier.sql", "CREATE TABLE earlier (x integer);"),
            new PostgresMigration(9002, "9002_later.sql", "CREATE TABLE later (x integer);"),
        ]);

        (await later.MigrateAsync(connection, _schema)).Should().Be(1);
        (await both.MigrateAsync(connection, _schema)).Should().Be(1);
        (await both.MigrateAsync(connection, _schema)).Should().Be(0);

        (await connection.QueryAsync<int>("SELECT version FROM schema_version WHERE version > 9000 ORDER BY version")).Should().Equal(9001, 9002);
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema AND table_name = 'earlier'", new { Schema = _schema }))
            .Should().Be(1);
    }

    [StorageFact]
    public void Migrations_HaveTheNumbersOfTheSqliteScriptsForTheSameFeatures()
    {
        // One feature, one number in both backends: a feature adding tables adds NNNN_name.sql to each.
        var postgres = new PostgresMigrator().Migrations.Select(m => m.Version).ToList();
        var sqlite = new Sqlite.SqliteMigrator().Migrations.Select(m => m.Version).ToList();

        postgres.Should().Equal(sqlite);
    }

    [StorageFact]
    public async Task Migrate_SchemaNewerThanServer_Throws()
    {
        await using (var connection = await OpenRawAsync(_schema))
        {
            await connection.ExecuteAsync("INSERT INTO schema_version (version, name, applied_at) VALUES (9999, '9999_future.sql', now())");
        }

        var act = () => Storage.MigrateAsync();

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage($"*{_schema}*9999*");
    }

    /// <summary>A storage on <paramref name="schema"/>, which is dropped after the test; not migrated, not disposed by the base class.</summary>
    private PostgresStorage CreateUnmigrated(string schema)
    {
        var storage = Create(schema);
        _unmigrated.Add(storage);
        return storage;
    }

    private PostgresStorage Create(string schema)
    {
        // Outside CI an unavailable server skips this class before it gets here; in CI this is the failure that says why.
        var connectionString = PostgresTestDatabase.RequireAvailable();
        if (!_schemas.Contains(schema))
        {
            _schemas.Add(schema);
        }

        return new PostgresStorage(new PostgresStorageOptions { ConnectionString = connectionString, Schema = schema });
    }

    private static async Task<NpgsqlConnection> OpenRawAsync(string schema)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresTestDatabase.RequireAvailable())
        {
            SearchPath = schema,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static OfflineMessage Message(int i) =>
        new($"<message to='{Alice}' id='m{i}'><body>{i}</body></message>", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + i));
}
