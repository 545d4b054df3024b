namespace Rookery.Storage.Sqlite;

/// <summary>
/// The SQLite storage backend: one database file in WAL mode holding accounts, rosters, offline messages and user data, safe to
/// use from any number of threads at once.
/// </summary>
/// <remarks>
/// Every operation takes a pooled connection of its own. Reads run concurrently; writes take turns through an
/// in-process gate and <c>BEGIN IMMEDIATE</c> transactions, and every commit is synced to disk
/// (<c>synchronous=FULL</c>) before its task completes, which is what lets an offline message count as handled.
/// Call <see cref="MigrateAsync"/> once at start-up before using the stores.
/// </remarks>
public sealed class SqliteStorage : IStorage
{
    private readonly SqliteDatabase _db;
    private readonly SqliteMigrator _migrator;

    /// <summary>Creates the backend for <see cref="SqliteStorageOptions.Path"/>; nothing is opened until first use.</summary>
    /// <param name="options">The database file and lock timeout.</param>
    /// <param name="time">The clock for account creation and request timestamps; the system clock when null.</param>
    public SqliteStorage(SqliteStorageOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        time ??= TimeProvider.System;
        _db = new SqliteDatabase(options, time);
        _migrator = new SqliteMigrator(time);
        Accounts = new SqliteAccountStore(_db);
        Rosters = new SqliteRosterStore(_db);
        Offline = new SqliteOfflineStore(_db);
        UserData = new SqliteUserDataStore(_db);
        LastActivity = new SqliteLastActivityStore(_db);
        Archive = new SqliteMessageArchiveStore(_db);
        BlockLists = new SqliteBlockListStore(_db);
        Pubsub = new SqlitePubsubStore(_db);
        PubsubService = new SqlitePubsubServiceStore(_db);
        Muc = new SqliteMucStore(_db);
        MucCluster = new SqliteMucClusterStore(_db);
        Caps = new SqliteCapsStore(_db);
        Push = new SqlitePushStore(_db);
        FastTokens = new SqliteFastTokenStore(_db);
    }

    /// <inheritdoc />
    public IAccountStore Accounts { get; }

    /// <inheritdoc />
    public IRosterStore Rosters { get; }

    /// <inheritdoc />
    public IOfflineStore Offline { get; }

    /// <inheritdoc />
    public IUserDataStore UserData { get; }

    /// <inheritdoc />
    public ILastActivityStore LastActivity { get; }

    /// <inheritdoc />
    public IMessageArchiveStore Archive { get; }

    /// <inheritdoc />
    public IBlockListStore BlockLists { get; }

    /// <inheritdoc />
    public IPubsubStore Pubsub { get; }

    /// <inheritdoc />
    public IPubsubServiceStore PubsubService { get; }

    /// <inheritdoc />
    public IMucStore Muc { get; }

    /// <inheritdoc />
    public IMucClusterStore MucCluster { get; }

    /// <inheritdoc />
    public ICapsStore Caps { get; }

    /// <inheritdoc />
    public IPushStore Push { get; }

    /// <inheritdoc />
    public IFastTokenStore FastTokens { get; }

    internal SqliteDatabase Database => _db;

    /// <summary>
    /// Creates the file and its directory when missing, switches it to WAL mode and applies the pending migrations.
    /// </summary>
    public Task MigrateAsync(CancellationToken ct = default)
    {
        var directory = Path.GetDirectoryName(_db.FilePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        return _db.ExclusiveAsync(
            async connection =>
            {
                // journal_mode is stored in the file, so setting it once here covers every later connection. WAL lets
                // readers proceed while a write commits. It cannot change inside a transaction, hence outside the migrator's.
                using (var command = connection.CreateCommand())
                {
                    command.CommandText = "PRAGMA journal_mode = WAL";
                    var mode = (string?)await command.ExecuteScalarAsync(ct);
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    {
                        throw new InvalidOperationException($"SQLite refused WAL mode for '{_db.FilePath}' (journal_mode is '{mode}').");
                    }
                }

                return await _migrator.MigrateAsync(connection, ct);
            },
            ct);
    }

    /// <summary>Releases the pooled connections to the file. Operations still running must have completed.</summary>
    public ValueTask DisposeAsync()
    {
        _db.Dispose();
        return ValueTask.CompletedTask;
    }
}
