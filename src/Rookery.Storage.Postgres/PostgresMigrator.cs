using System.Globalization;
using System.Reflection;
using Dapper;
using Npgsql;

namespace Rookery.Storage.Postgres;

/// <summary>
/// Brings a schema up to date by applying the embedded <c>Migrations/NNNN_name.sql</c> scripts that its
/// <c>schema_version</c> table does not list yet, in version order, exactly once however many nodes start together (a
/// gap left by a number reserved for a feature still in development is filled when that script arrives).
/// </summary>
/// <remarks>
/// The whole run is one transaction that first takes <c>pg_advisory_xact_lock(hashtext('rookery.migrate'),
/// hashtext(schema))</c>. Nodes that start at the same moment queue on that lock; each one then reads the version under
/// the lock, so the first applies the scripts and the others find nothing left to do. PostgreSQL DDL is transactional:
/// a failing script rolls back the whole run, schema creation included, and the database stays at its previous version
/// for a restart to retry. The lock also covers <c>CREATE SCHEMA</c> and <c>CREATE TABLE schema_version</c>, which
/// are not safe to run concurrently even with <c>IF NOT EXISTS</c>. A schema whose version is newer than the newest
/// script was written by a newer server; migrating it throws rather than run old code against an unknown schema.
/// To change the schema, add the next numbered file under <c>Migrations/</c>, with the number of the SQLite backend's
/// script for the same feature; never edit one that has shipped.
/// </remarks>
internal sealed class PostgresMigrator
{
    private const string ResourcePrefix = "Migrations/";

    private const string CreateVersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version    integer     NOT NULL PRIMARY KEY,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL
        )
        """;

    private readonly PostgresMigration[] _migrations;
    private readonly TimeProvider _time;

    /// <summary>Creates a migrator for the scripts embedded in this assembly.</summary>
    public PostgresMigrator(TimeProvider? time = null)
        : this(LoadEmbedded(), time)
    {
    }

    public PostgresMigrator(IEnumerable<PostgresMigration> migrations, TimeProvider? time = null)
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
    public IReadOnlyList<PostgresMigration> Migrations => _migrations;

    /// <summary>The newest schema version this migrator knows.</summary>
    public int LatestVersion => _migrations.Length == 0 ? 0 : _migrations[^1].Version;

    /// <summary>
    /// Creates <paramref name="schema"/> when missing and applies the pending migrations to it on
    /// <paramref name="connection"/>, which must be open and not in a transaction; returns how many were applied (0 when
    /// the schema was already current, in particular when another node migrated it first).
    /// </summary>
    public async Task<int> MigrateAsync(NpgsqlConnection connection, string schema, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (PostgresStorageOptions.DescribeSchemaProblem(schema) is { } problem)
        {
            throw new ArgumentException("The PostgreSQL schema " + problem + ".", nameof(schema));
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(hashtext('rookery.migrate'), hashtext(@Schema))",
            new { Schema = schema },
            transaction,
            cancellationToken: ct));

        // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege on the database even when the schema exists, so a role
        // that was given an existing schema (and no such privilege) would fail: look first.
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @Schema)", new { Schema = schema }, transaction, cancellationToken: ct));
        if (!exists)
        {
            // The name was validated as a plain lower-case identifier: it needs no quoting and cannot inject.
            await connection.ExecuteAsync(new CommandDefinition("CREATE SCHEMA " + schema, transaction: transaction, cancellationToken: ct));
        }

        // The connection's search_path already names the schema; setting it here as well keeps the scripts' unqualified
        // names inside it even on a connection opened without that parameter.
        await connection.ExecuteAsync(new CommandDefinition("SET LOCAL search_path TO " + schema, transaction: transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(CreateVersionTable, transaction: transaction, cancellationToken: ct));

        HashSet<int> done = [.. await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT version FROM schema_version", transaction: transaction, cancellationToken: ct))];
        var current = done.Count == 0 ? 0 : done.Max();
        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL schema '{schema}' is at schema version {current}, newer than this server's {LatestVersion}; upgrade the server.");
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

            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { migration.Version, migration.Name, AppliedAt = PostgresTime.ToColumn(_time.GetUtcNow()) },
                transaction,
                cancellationToken: ct));
            applied++;
        }

        await transaction.CommitAsync(CancellationToken.None);
        return applied;
    }

    private static List<PostgresMigration> LoadEmbedded()
    {
        var assembly = typeof(PostgresMigrator).Assembly;
        var migrations = new List<PostgresMigration>();
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

            migrations.Add(new PostgresMigration(version, name, ReadResource(assembly, resource)));
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
