using System.Text.Json;
using Dapper;

namespace Rookery.Storage.Postgres;

/// <summary>Verified caps hashes (XEP-0115 §5.4) in the <c>caps_hashes</c> table, features as a JSON array, shared by every node.</summary>
internal sealed class PostgresCapsStore(PostgresDatabase db) : ICapsStore
{
    public async Task<IReadOnlyList<string>?> GetAsync(string algorithm, string ver, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(algorithm);
        ArgumentException.ThrowIfNullOrEmpty(ver);
        await using var connection = await db.OpenAsync(ct);
        var json = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT features FROM caps_hashes WHERE algorithm = @Algorithm AND ver = @Ver",
            new { Algorithm = algorithm, Ver = ver },
            cancellationToken: ct));
        return json is null ? null : JsonSerializer.Deserialize<string[]>(json);
    }

    public Task PutAsync(string algorithm, string ver, IReadOnlyCollection<string> features, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(algorithm);
        ArgumentException.ThrowIfNullOrEmpty(ver);
        ArgumentNullException.ThrowIfNull(features);
        var json = JsonSerializer.Serialize(features.Order(StringComparer.Ordinal).ToArray());
        // Two nodes may verify the same hash at once: the first insert wins, the second is a no-op (same content).
        return db.WriteAsync(
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO caps_hashes (algorithm, ver, features, created) VALUES (@Algorithm, @Ver, @Features, @Created)
                ON CONFLICT (algorithm, ver) DO NOTHING
                """,
                new { Algorithm = algorithm, Ver = ver, Features = json, Created = PostgresTime.ToColumn(db.Time.GetUtcNow()) },
                transaction,
                cancellationToken: ct)),
            ct);
    }
}
