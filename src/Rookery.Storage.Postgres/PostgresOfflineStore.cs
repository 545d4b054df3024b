using Dapper;

namespace Rookery.Storage.Postgres;

/// <summary>Offline messages (XEP-0160) in the <c>offline</c> table, ids drawn from an identity sequence in arrival order.</summary>
internal sealed class PostgresOfflineStore(PostgresDatabase db) : IOfflineStore
{
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

        // Count and insert under the owner's advisory lock, held until commit: whichever node stores next for this user
        // waits, then counts what this one committed, so concurrent stores from any number of nodes can never push the
        // count past the limit. The lock also orders the ids of one owner's messages by commit. The task completes after
        // the commit is durable.
        return db.WriteAsync(
            owner,
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
                    new { Owner = owner, Stanza = message.StanzaXml, Stamp = PostgresTime.ToColumn(message.Stamp) },
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
        var rows = await connection.QueryAsync<(long Id, string Stanza, DateTime Stamp)>(new CommandDefinition(
            "SELECT id, stanza, stamp FROM offline WHERE owner = @Owner ORDER BY id",
            new { Owner = owner },
            cancellationToken: ct));
        var messages = new List<StoredOfflineMessage>();
        foreach (var row in rows)
        {
            messages.Add(new StoredOfflineMessage(row.Id, row.Stanza, PostgresTime.FromColumn(row.Stamp)));
        }

        return messages;
    }

    public async Task RemoveAsync(string owner, IReadOnlyList<long> ids, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        // One bigint[] parameter however many ids (Dapper passes arrays to Npgsql whole). The owner condition keeps one
        // user from deleting another's messages by id. A single delete needs no lock.
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM offline WHERE owner = @Owner AND id = ANY(@Ids)",
            new { Owner = owner, Ids = ids as long[] ?? [.. ids] },
            cancellationToken: ct));
    }

    public Task<int> TakeAsync(string owner, Func<StoredOfflineMessage, bool> take, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(take);

        // Under the owner's advisory lock, held until commit: a take for the same user on another node waits, then reads
        // (READ COMMITTED, a fresh snapshot per statement) only what this one left, so each message is taken once. Stores
        // take the same lock, so a message arriving meanwhile is either read here or left for later, never half-seen.
        return db.WriteAsync(
            owner,
            async (connection, transaction) =>
            {
                var rows = await connection.QueryAsync<(long Id, string Stanza, DateTime Stamp)>(new CommandDefinition(
                    "SELECT id, stanza, stamp FROM offline WHERE owner = @Owner ORDER BY id",
                    new { Owner = owner },
                    transaction,
                    cancellationToken: ct));
                var taken = new List<long>();
                foreach (var row in rows)
                {
                    if (!take(new StoredOfflineMessage(row.Id, row.Stanza, PostgresTime.FromColumn(row.Stamp))))
                    {
                        break;
                    }

                    taken.Add(row.Id);
                }

                if (taken.Count == 0)
                {
                    return 0;
                }

                return await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM offline WHERE owner = @Owner AND id = ANY(@Ids)",
                    new { Owner = owner, Ids = taken.ToArray() },
                    transaction,
                    cancellationToken: ct));
            },
            ct);
    }

    public async Task<int> CountAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*)::integer FROM offline WHERE owner = @Owner", new { Owner = owner }, cancellationToken: ct));
    }
}
