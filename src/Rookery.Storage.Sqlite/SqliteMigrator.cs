using System.Globalization;
using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Rookery.Storage.Sqlite;

/// <summary>
/// Brings a SQLite database's schema up to date by applying the embedded <c>Migrations/NNNN_name.sql</c> scripts that
/// its <c>schema_version</c> table does not list yet, in version order, each in its own transaction (a gap left by a
/// number reserved for a feature still in development is filled when that script arrives).
/// </summary>
/// <remarks>
/// To change the schema, add the next numbered file under <c>Migrations/</c>; never edit one that has shipped.
/// Each script commits together with its <c>schema_version</c> row, so a failing script leaves the database at the
/// previous version and a restart retries it. A database whose version is newer than the newest script was written by
/// a newer server; migrating it throws rather than run old code against an unknown schema.
/// </remarks>
public sealed class SqliteMigrator
{
    private const string ResourcePrefix = "Migrations/";

    private const string CreateVersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version    INTEGER NOT NULL PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at INTEGER NOT NULL
        )
        """;

    private readonly SqliteMigration[] _migrations;
    private readonly TimeProvider _time;

    /// <summary>Creates a migrator for the scripts embedded in this assembly.</summary>
    public SqliteMigrator(TimeProvider? time = null)
        : this(LoadEmbedded(), time)
    {
    }

    internal SqliteMigrator(IEnumerable<SqliteMigration> migrations, TimeProvider? time = null)
    {
        var sorted = migrations.OrderBy(m => m.Version).ToArray();
        for (var i = 0; i < sorted.Length; i++)
        {
            if (sorted[i].Version <= 0 || (i > 0 && sorted[i].Version == sorted[i - 1].Version))
            {
                throw new InvalidOperationException($"Migration '{sorted[i].Name}' has a duplicate or non-positive version {sorted[i].Version}.");
            }
        }

        _migrations = sorted;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The migrations this migrator applies, in version order.</summary>
    internal IReadOnlyList<SqliteMigration> Migrations => _migrations;

    /// <summary>The newest schema version this migrator knows.</summary>
    public int LatestVersion => _migrations.Length == 0 ? 0 : _migrations[^1].Version;

    /// <summary>
    /// Applies the pending migrations on <paramref name="connection"/>, which must be open and not in a transaction;
    /// returns how many were applied (0 when the schema was already current).
    /// </summary>
    public async Task<int> MigrateAsync(SqliteConnection connection, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await connection.ExecuteAsync(new CommandDefinition(CreateVersionTable, cancellationToken: ct));

        var done = await AppliedVersionsAsync(connection, null, ct);
        var current = done.Count == 0 ? 0 : done.Max();
        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The database is at schema version {current}, newer than this server's {LatestVersion}; upgrade the server.");
        }

        var applied = 0;
        foreach (var migration in _migrations)
        {
            // A version missing below the newest applied one is applied too: features develop their migrations in
            // parallel with reserved numbers, so 0004 may reach a database before 0003 does.
            if (done.Contains(migration.Version))
            {
                continue;
            }

            // BEGIN IMMEDIATE and re-reading the versions inside the transaction make a second process migrating the
            // same file at the same moment wait, then skip what the first one applied.
            await using var transaction = connection.BeginTransaction(deferred: false);
            if ((await AppliedVersionsAsync(connection, transaction, ct)).Contains(migration.Version))
            {
                await transaction.RollbackAsync(CancellationToken.None);
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { migration.Version, migration.Name, AppliedAt = _time.GetUtcNow().ToUnixTimeMilliseconds() },
                transaction,
                cancellationToken: ct));
            await transaction.CommitAsync(CancellationToken.None);
            applied++;
        }

        return applied;
    }

    private static async Task<HashSet<int>> AppliedVersionsAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken ct) =>
        [.. await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT version FROM schema_version", transaction: transaction, cancellationToken: ct))];

    private static List<SqliteMigration> LoadEmbedded()
    {
        var assembly = typeof(SqliteMigrator).Assembly;
        var migrations = new List<SqliteMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration resource '{resource}' is not named NNNN_name.sql.");
            }

            migrations.Add(new SqliteMigration(version, name, ReadResource(assembly, resource)));
        }

        return migrations;
    }

    private static string ReadResource(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration resource '{resource}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
