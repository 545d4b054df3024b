namespace Rookery.Storage.Postgres;

/// <summary>
/// The PostgreSQL storage backend: accounts, rosters, offline messages, user data and message archives in one schema of
/// a database that any number of nodes may share, safe to use from any number of threads and processes at once.
/// </summary>
/// <remarks>
/// One pooled <c>NpgsqlDataSource</c> per instance; every operation borrows a connection for its duration. Operations
/// that read before they write (the offline and user-data limits, roster versions, account deletion) serialize per
/// user through a transaction-level advisory lock, so the limits hold across nodes, not only within one process. Call
/// <see cref="MigrateAsync"/> once at start-up before using the stores; nodes starting together migrate exactly once.
/// </remarks>
public sealed class PostgresStorage : IStorage, IPooledStorage
{
    private readonly PostgresDatabase _db;
    private readonly PostgresMigrator _migrator;

    /// <summary>Creates the backend; nothing is opened until first use.</summary>
    /// <param name="options">The connection string and schema.</param>
    /// <param name="time">The clock for account creation and request timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentException">The connection string or schema cannot be used.</exception>
    public PostgresStorage(PostgresStorageOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        time ??= TimeProvider.System;
        _db = new PostgresDatabase(options, time);
        _migrator = new PostgresMigrator(time);
        Accounts = new PostgresAccountStore(_db);
        Rosters = new PostgresRosterStore(_db);
        Offline = new PostgresOfflineStore(_db);
        UserData = new PostgresUserDataStore(_db);
        LastActivity = new PostgresLastActivityStore(_db);
        Archive = new PostgresMessageArchiveStore(_db);
        BlockLists = new PostgresBlockListStore(_db);
        Pubsub = new PostgresPubsubStore(_db);
        PubsubService = new PostgresPubsubServiceStore(_db);
        Muc = new PostgresMucStore(_db);
        MucCluster = new PostgresMucClusterStore(_db);
        Caps = new PostgresCapsStore(_db);
        Push = new PostgresPushStore(_db);
        FastTokens = new PostgresFastTokenStore(_db);
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

    internal PostgresDatabase Database => _db;

    /// <inheritdoc />
    public void ClearPool() => _db.ClearPool();

    /// <summary>
    /// Creates the schema when missing and applies the pending migrations, under a database-wide advisory lock so that
    /// several nodes starting at once against the same database migrate exactly once.
    /// </summary>
    public async Task MigrateAsync(CancellationToken ct = default) => await MigrateCountingAsync(ct);

    /// <summary>As <see cref="MigrateAsync"/>; returns how many migrations this call applied.</summary>
    internal async Task<int> MigrateCountingAsync(CancellationToken ct = default)
    {
        await using var connection = await _db.OpenAsync(ct);
        return await _migrator.MigrateAsync(connection, _db.Schema, ct);
    }

    /// <summary>Closes the pooled connections. Operations still running must have completed.</summary>
    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
