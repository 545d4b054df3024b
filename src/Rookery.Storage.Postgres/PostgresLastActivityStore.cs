using Dapper;

namespace Rookery.Storage.Postgres;

/// <summary>Last logout times (XEP-0012) in the <c>last_activity</c> table, one row per user.</summary>
internal sealed class PostgresLastActivityStore(PostgresDatabase db) : ILastActivityStore
{
    public Task SetAsync(string owner, LastActivity activity, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(activity.Status, nameof(activity));
        // Under the owner's lock only so that a logout racing an account deletion cannot leave a row behind it.
        return db.WriteAsync(
            owner,
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO last_activity (owner, stamp, status) VALUES (@Owner, @Stamp, @Status)
                ON CONFLICT (owner) DO UPDATE SET stamp = excluded.stamp, status = excluded.status
                """,
                new { Owner = owner, Stamp = PostgresTime.ToColumn(activity.Stamp), activity.Status },
                transaction,
                cancellationToken: ct)),
            ct);
    }

    public async Task<LastActivity?> GetAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(DateTime Stamp, string Status)?>(new CommandDefinition(
            "SELECT stamp, status FROM last_activity WHERE owner = @Owner",
            new { Owner = owner },
            cancellationToken: ct));
        return row is { } r ? new LastActivity(PostgresTime.FromColumn(r.Stamp), r.Status) : null;
    }
}
