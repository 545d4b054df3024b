using System.Data;
using Dapper;
using Npgsql;

namespace Rookery.Storage.Postgres;

/// <summary>
/// Hands out pooled connections to one schema of one PostgreSQL database and runs transactions on them, taking the
/// per-owner lock that makes read-then-write operations safe across every node sharing the database.
/// </summary>
/// <remarks>
/// Every connection has the storage's schema as its <c>search_path</c> (a startup parameter, so it survives the pool's
/// reset), which lets the SQL name tables without a schema. Writes run in READ COMMITTED transactions. A write that
/// touches an owner's rows first takes <c>pg_advisory_xact_lock(hashtext('rookery.owner:' || schema),
/// hashtext(owner))</c>: one lock per user, held until commit, so that the offline limit check and its insert, the
/// user-data key count and its insert, a roster change and its version bump, and an account deletion and its cascade
/// never interleave with another node's work on the same user. READ COMMITTED takes a fresh snapshot per statement,
/// so every statement after the lock sees what the previous holder committed. Each transaction takes at most one such
/// lock, and takes it first, so these locks cannot deadlock. Commits are durable before their task completes as long as
/// the server keeps <c>synchronous_commit</c> on (its default), which is what lets an offline message count as handled.
/// </remarks>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private const string LockOwner = "SELECT pg_advisory_xact_lock(hashtext(@LockClass), hashtext(@Owner))";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _ownerLockClass;

    public PostgresDatabase(PostgresStorageOptions options, TimeProvider time)
    {
        Schema = options.Schema;
        Time = time;
        var builder = PostgresStorageOptions.WithPoolDefaults(new NpgsqlConnectionStringBuilder(options.ConnectionString), options.ConnectionString);
        // Validated as a plain lower-case identifier: no quoting needed.
        builder.SearchPath = options.Schema;
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            // Shows in pg_stat_activity, so a DBA can tell the server's connections apart.
            builder.ApplicationName = "rookery";
        }

        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _ownerLockClass = "rookery.owner:" + options.Schema;
    }

    /// <summary>The schema holding the tables.</summary>
    public string Schema { get; }

    /// <summary>The clock for created columns the caller does not supply.</summary>
    public TimeProvider Time { get; }

    /// <summary>Drops the pooled connections (dead sockets after the server was unreachable).</summary>
    public void ClearPool() => _dataSource.Clear();

    /// <summary>The first key of the owner locks, for statements that take several owners' locks at once.</summary>
    public string OwnerLockClass => _ownerLockClass;

    /// <summary>Opens a pooled connection.</summary>
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct) => _dataSource.OpenConnectionAsync(ct);

    /// <summary>
    /// Runs <paramref name="work"/> in a REPEATABLE READ transaction: every query sees one snapshot, so that results
    /// read together (a roster and its version) match.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(CancellationToken.None);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a READ COMMITTED transaction that first takes <paramref name="owner"/>'s lock
    /// (see the remarks on this class), and commits it; an exception from <paramref name="work"/> rolls everything
    /// back. The task completes once the commit is durable.
    /// </summary>
    public async Task<T> WriteAsync<T>(string owner, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            LockOwner, new { LockClass = _ownerLockClass, Owner = owner }, transaction, cancellationToken: ct));
        var result = await work(connection, transaction);
        // Not cancellable past this point: the caller must see an exception only when nothing was committed.
        await transaction.CommitAsync(CancellationToken.None);
        return result;
    }

    /// <summary>Runs <paramref name="work"/> in a READ COMMITTED transaction without the owner lock, and commits it.</summary>
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(CancellationToken.None);
        return result;
    }

    /// <summary>Closes the pool's idle connections; operations still running must have completed.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
