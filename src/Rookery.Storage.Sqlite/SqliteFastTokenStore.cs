using Dapper;

namespace Rookery.Storage.Sqlite;

/// <summary>FAST tokens (XEP-0484) in the <c>fast_tokens</c> table, one row per (owner, user agent, slot).</summary>
internal sealed class SqliteFastTokenStore(SqliteDatabase db) : IFastTokenStore
{
    public async Task<IReadOnlyList<FastToken>> GetAsync(string owner, string userAgentId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(userAgentId);
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(long Slot, string Mechanism, string Token, long Expires)>(new CommandDefinition(
            "SELECT slot, mechanism, token, expires FROM fast_tokens WHERE owner = @Owner AND user_agent = @Agent ORDER BY slot DESC",
            new { Owner = owner, Agent = userAgentId },
            cancellationToken: ct));
        var tokens = new List<FastToken>(2);
        foreach (var row in rows)
        {
            tokens.Add(new FastToken(owner, userAgentId, (FastTokenSlot)row.Slot, row.Mechanism, row.Token, DateTimeOffset.FromUnixTimeMilliseconds(row.Expires)));
        }

        return tokens;
    }

    public Task SetAsync(FastToken token, CancellationToken ct = default)
    {
        Validate(token);
        return db.WriteAsync(
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO fast_tokens (owner, user_agent, slot, mechanism, token, expires)
                VALUES (@Owner, @UserAgentId, @Slot, @Mechanism, @Token, @Expires)
                ON CONFLICT (owner, user_agent, slot) DO UPDATE SET
                    mechanism = excluded.mechanism, token = excluded.token, expires = excluded.expires
                """,
                new { token.Owner, token.UserAgentId, Slot = (int)token.Slot, token.Mechanism, token.Token, Expires = token.Expires.ToUnixTimeMilliseconds() },
                transaction,
                cancellationToken: ct)),
            ct);
    }

    public Task<bool> PromoteAsync(string owner, string userAgentId, string token, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(userAgentId);
        ArgumentException.ThrowIfNullOrEmpty(token);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                var args = new { Owner = owner, Agent = userAgentId, Token = token, Current = (int)FastTokenSlot.Current, New = (int)FastTokenSlot.New };
                var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM fast_tokens WHERE owner = @Owner AND user_agent = @Agent AND slot = @New AND token = @Token",
                    args,
                    transaction,
                    cancellationToken: ct)) > 0;
                if (!exists)
                {
                    return false;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    DELETE FROM fast_tokens WHERE owner = @Owner AND user_agent = @Agent AND slot = @Current;
                    UPDATE fast_tokens SET slot = @Current WHERE owner = @Owner AND user_agent = @Agent AND slot = @New;
                    """,
                    args,
                    transaction,
                    cancellationToken: ct));
                return true;
            },
            ct);
    }

    public Task<int> DeleteAsync(string owner, string userAgentId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(userAgentId);
        return db.WriteAsync(
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM fast_tokens WHERE owner = @Owner AND user_agent = @Agent",
                new { Owner = owner, Agent = userAgentId },
                transaction,
                cancellationToken: ct)),
            ct);
    }

    private static void Validate(FastToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentException.ThrowIfNullOrEmpty(token.Owner, nameof(token));
        ArgumentException.ThrowIfNullOrEmpty(token.UserAgentId, nameof(token));
        ArgumentException.ThrowIfNullOrEmpty(token.Mechanism, nameof(token));
        ArgumentException.ThrowIfNullOrEmpty(token.Token, nameof(token));
    }
}
