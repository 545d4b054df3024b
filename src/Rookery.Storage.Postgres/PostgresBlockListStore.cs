using Dapper;

namespace Rookery.Storage.Postgres;

/// <summary>Blocked JIDs (XEP-0191) in the <c>block_list</c> table, one row per (owner, JID).</summary>
internal sealed class PostgresBlockListStore(PostgresDatabase db) : IBlockListStore
{
    public async Task<IReadOnlyList<string>> GetAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        var jids = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT jid FROM block_list WHERE owner = @Owner",
            new { Owner = owner },
            cancellationToken: ct))).AsList();
        // The contract is ordinal (UTF-16) order; COLLATE "C" orders by code point, which differs above U+FFFF.
        jids.Sort(StringComparer.Ordinal);
        return jids;
    }

    public Task<int> AddAsync(string owner, IReadOnlyCollection<string> jids, CancellationToken ct = default)
    {
        Validate(owner, jids);
        // Under the owner's lock so that an add racing an account deletion cannot leave rows behind it.
        return db.WriteAsync(
            owner,
            async (connection, transaction) =>
            {
                var added = 0;
                foreach (var jid in jids)
                {
                    added += await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO block_list (owner, jid) VALUES (@Owner, @Jid) ON CONFLICT (owner, jid) DO NOTHING",
                        new { Owner = owner, Jid = jid },
                        transaction,
                        cancellationToken: ct));
                }

                return added;
            },
            ct);
    }

    public Task<int> RemoveAsync(string owner, IReadOnlyCollection<string> jids, CancellationToken ct = default)
    {
        Validate(owner, jids);
        return db.WriteAsync(
            owner,
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM block_list WHERE owner = @Owner AND jid = ANY(@Jids)",
                new { Owner = owner, Jids = jids.ToArray() },
                transaction,
                cancellationToken: ct)),
            ct);
    }

    public Task<int> ClearAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return db.WriteAsync(
            owner,
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM block_list WHERE owner = @Owner",
                new { Owner = owner },
                transaction,
                cancellationToken: ct)),
            ct);
    }

    private static void Validate(string owner, IReadOnlyCollection<string> jids)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(jids);
        foreach (var jid in jids)
        {
            ArgumentException.ThrowIfNullOrEmpty(jid, nameof(jids));
        }
    }
}
