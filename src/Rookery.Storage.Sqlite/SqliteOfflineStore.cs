using Dapper;

namespace Rookery.Storage.Sqlite;

/// <summary>Offline messages (XEP-0160) in the <c>offline</c> table, ids assigned by SQLite in arrival order.</summary>
internal sealed class SqliteOfflineStore(SqliteDatabase db) : IOfflineStore
{
    // Stays below SQLite's host-parameter limit (32766 since 3.32, 999 before) whatever the caller passes.
    private const int RemoveBatchSize = 500;

    public Task<bool> TryStoreAsync(string owner, OfflineMessage message, int limit, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(message.StanzaXml, nameof(message));
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return Task.FromResult(false);
        }

        // Count and insert in one BEGIN IMMEDIATE transaction: no other writer can insert between the two, so
        // concurrent stores can never push the count past the limit. The task completes after the synced commit.
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM offline WHERE owner = @Owner", new { Owner = owner }, transaction, cancellationToken: ct));
                if (count >= limit)
                {
                    return false;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO offline (owner, stanza, stamp) VALUES (@Owner, @Stanza, @Stamp)",
                    new { Owner = owner, Stanza = message.StanzaXml, Stamp = message.Stamp.ToUnixTimeMilliseconds() },
                    transaction,
                    cancellationToken: ct));
                return true;
            },
            ct);
    }

    public async Task<IReadOnlyList<StoredOfflineMessage>> PeekAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(long Id, string Stanza, long Stamp)>(new CommandDefinition(
            "SELECT id, stanza, stamp FROM offline WHERE owner = @Owner ORDER BY id",
            new { Owner = owner },
            cancellationToken: ct));
        var messages = new List<StoredOfflineMessage>();
        foreach (var row in rows)
        {
            messages.Add(new StoredOfflineMessage(row.Id, row.Stanza, DateTimeOffset.FromUnixTimeMilliseconds(row.Stamp)));
        }

        return messages;
    }

    public Task RemoveAsync(string owner, IReadOnlyList<long> ids, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return Task.CompletedTask;
        }

        return db.WriteAsync(
            async (connection, transaction) =>
            {
                var removed = 0;
                for (var start = 0; start < ids.Count; start += RemoveBatchSize)
                {
                    var batch = new long[Math.Min(RemoveBatchSize, ids.Count - start)];
                    for (var i = 0; i < batch.Length; i++)
                    {
                        batch[i] = ids[start + i];
                    }

                    // The owner condition keeps one user from deleting another's messages by id.
                    removed += await connection.ExecuteAsync(new CommandDefinition(
                        "DELETE FROM offline WHERE owner = @Owner AND id IN @Ids",
                        new { Owner = owner, Ids = batch },
                        transaction,
                        cancellationToken: ct));
                }

                return removed;
            },
            ct);
    }

    public Task<int> TakeAsync(string owner, Func<StoredOfflineMessage, bool> take, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(take);

        // Read, hand over and delete in one BEGIN IMMEDIATE transaction: no other writer (another session's take, of this
        // process or another on the same file) runs in between, so each message is taken once.
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                var rows = await connection.QueryAsync<(long Id, string Stanza, long Stamp)>(new CommandDefinition(
                    "SELECT id, stanza, stamp FROM offline WHERE owner = @Owner ORDER BY id",
                    new { Owner = owner },
                    transaction,
                    cancellationToken: ct));
                var taken = new List<long>();
                foreach (var row in rows)
                {
                    if (!take(new StoredOfflineMessage(row.Id, row.Stanza, DateTimeOffset.FromUnixTimeMilliseconds(row.Stamp))))
                    {
                        break;
                    }

                    taken.Add(row.Id);
                }

                var removed = 0;
                for (var start = 0; start < taken.Count; start += RemoveBatchSize)
                {
                    removed += await connection.ExecuteAsync(new CommandDefinition(
                        "DELETE FROM offline WHERE owner = @Owner AND id IN @Ids",
                        new { Owner = owner, Ids = taken.GetRange(start, Math.Min(RemoveBatchSize, taken.Count - start)) },
                        transaction,
                        cancellationToken: ct));
                }

                return removed;
            },
            ct);
    }

    public async Task<int> CountAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM offline WHERE owner = @Owner", new { Owner = owner }, cancellationToken: ct));
    }
}
