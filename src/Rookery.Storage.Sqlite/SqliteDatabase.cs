using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Rookery.Storage.Sqlite;

/// <summary>
/// Hands out configured connections to one database file and serializes this process's write transactions.
/// </summary>
/// <remarks>
/// Connections come from Microsoft.Data.Sqlite's pool, one per operation, so any number of threads may call the stores
/// at once. In WAL mode readers never block and are never blocked by the single writer. Writers are serialized twice:
/// in-process by <see cref="_writeGate"/>, so that concurrent server threads queue on a cheap async semaphore instead of
/// spinning in SQLite's busy handler (a "SQLITE_BUSY storm" that wastes threads and can time out under load), and
/// across processes by <c>BEGIN IMMEDIATE</c> plus <c>busy_timeout</c>. <c>BEGIN IMMEDIATE</c> takes the write lock up
/// front, so a transaction that reads and then writes (the offline limit check) can neither be overtaken between its
/// read and its write nor fail half-way with an upgrade deadlock.
/// </remarks>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly string _connectionPragmas;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public SqliteDatabase(SqliteStorageOptions options, TimeProvider time)
    {
        FilePath = System.IO.Path.GetFullPath(options.Path);
        Time = time;
        var busyMilliseconds = (int)options.BusyTimeout.TotalMilliseconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite retries busy statements itself until the command timeout; keep that in line with
            // busy_timeout, and never 0, which it reads as "retry forever".
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();

        // Per-connection settings, re-applied on every open because a pooled connection may be new or reused.
        // synchronous=FULL: in WAL mode NORMAL only syncs at checkpoints, so a commit can be lost on power failure or an
        // OS crash. IOfflineStore promises that a stored message is durable before the sender's stanza counts as
        // handled, so every commit must reach the disk; FULL syncs the WAL on each commit.
        // foreign_keys=ON: SQLite leaves it off by default; credentials rely on ON DELETE CASCADE.
        _connectionPragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {busyMilliseconds};");
    }

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>The clock for created/stamp columns the caller does not supply.</summary>
    public TimeProvider Time { get; }

    /// <summary>Opens a pooled connection with the per-connection pragmas applied.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        if (!Thread.CurrentThread.IsThreadPoolThread)
        {
            // Microsoft.Data.Sqlite's "async" calls run synchronously. Called from a socket engine's thread (the server
            // runs socket completions inline, Listeners:InlineCompletions), the disk work would stall every connection
            // of that thread: it moves to the thread pool first. A pool thread blocks only itself.
            await Task.Yield();
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            using var command = connection.CreateCommand();
            command.CommandText = _connectionPragmas;
            await command.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a deferred transaction, which in WAL mode reads one consistent snapshot without
    /// taking any lock that writers wait for.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = connection.BeginTransaction(deferred: true);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(CancellationToken.None);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a <c>BEGIN IMMEDIATE</c> transaction while holding the in-process write gate, and
    /// commits it; an exception from <paramref name="work"/> rolls everything back. The task completes only after the
    /// commit has been synced to disk.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            // deferred: false is BEGIN IMMEDIATE: the write lock is taken now, not at the first write.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            // Not cancellable past this point: the caller must see an exception only when nothing was committed.
            await transaction.CommitAsync(CancellationToken.None);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on its own connection while holding the in-process write gate, without a transaction,
    /// for work that manages its own transactions or must run outside one (schema migration, <c>journal_mode</c>).
    /// </summary>
    public async Task<T> ExclusiveAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            return await work(connection);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Closes the idle pooled connections to this file, so that the file is released and its WAL checkpointed.</summary>
    public void Dispose()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _writeGate.Dispose();
    }
}
