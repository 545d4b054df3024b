using Dapper;

namespace Rookery.Storage.Postgres;

/// <summary>Per-user XML documents in the <c>user_data</c> table, keyed by (owner, kind, item).</summary>
internal sealed class PostgresUserDataStore(PostgresDatabase db) : IUserDataStore
{
    public async Task<string?> GetAsync(string owner, string kind, string key, CancellationToken ct = default)
    {
        Validate(owner, kind, key);
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT xml FROM user_data WHERE owner = @Owner AND kind = @Kind AND item = @Key",
            new { Owner = owner, Kind = kind, Key = key },
            cancellationToken: ct));
    }

    public Task<bool> TrySetAsync(string owner, string kind, string key, string xml, int maxKeys, CancellationToken ct = default)
    {
        Validate(owner, kind, key);
        ArgumentNullException.ThrowIfNull(xml);
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeys);

        // The existence check, the count and the write share the owner's advisory lock, so concurrent writers of new keys
        // (on any node) can never push the owner past the limit.
        return db.WriteAsync(
            owner,
            async (connection, transaction) =>
            {
                var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM user_data WHERE owner = @Owner AND kind = @Kind AND item = @Key)",
                    new { Owner = owner, Kind = kind, Key = key },
                    transaction,
                    cancellationToken: ct));
                if (!exists)
                {
                    var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT COUNT(*) FROM user_data WHERE owner = @Owner AND kind = @Kind",
                        new { Owner = owner, Kind = kind },
                        transaction,
                        cancellationToken: ct));
                    if (count >= maxKeys)
                    {
                        return false;
                    }
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO user_data (owner, kind, item, xml) VALUES (@Owner, @Kind, @Key, @Xml)
                    ON CONFLICT (owner, kind, item) DO UPDATE SET xml = excluded.xml
                    """,
                    new { Owner = owner, Kind = kind, Key = key, Xml = xml },
                    transaction,
                    cancellationToken: ct));
                return true;
            },
            ct);
    }

    public async Task<bool> DeleteAsync(string owner, string kind, string key, CancellationToken ct = default)
    {
        Validate(owner, kind, key);
        // A single delete needs no lock.
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_data WHERE owner = @Owner AND kind = @Kind AND item = @Key",
            new { Owner = owner, Kind = kind, Key = key },
            cancellationToken: ct)) > 0;
    }

    private static void Validate(string owner, string kind, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(key);
    }
}
