using Npgsql;

namespace Rookery.TestKit;

/// <summary>
/// The PostgreSQL server that tests may use, named by the environment variable <see cref="ConnectionVariable"/>, with
/// the rule every PostgreSQL test follows: without a reachable server it is skipped, except in CI (environment
/// <c>CI=true</c>), where it fails with <see cref="RequireAvailable"/>'s message instead of passing silently.
/// </summary>
/// <remarks>
/// The variable is deliberately not <c>ROOKERY_</c>-prefixed: that prefix configures every node a test starts, and a
/// node rejects unknown keys. Tests isolate themselves with a fresh schema each (<see cref="NewSchemaName"/>), so that
/// they can run in parallel on one database, and drop it afterwards (<see cref="DropSchemaAsync"/>).
/// </remarks>
public static class PostgresTestDatabase
{
    /// <summary>The environment variable holding the Npgsql connection string of the test database.</summary>
    public const string ConnectionVariable = "TEST_POSTGRES_CONNECTION";

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>The test database's connection string, or null when the variable is unset.</summary>
    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } value ? value : null;

    /// <summary>Why PostgreSQL tests cannot run here (checked once per process), or null when the server answers.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>True when the environment says this is a CI run.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The reason to skip a PostgreSQL test: null when the server is reachable, and null in CI too, so that the test runs
    /// and fails there through <see cref="RequireAvailable"/>.
    /// </summary>
    public static string? SkipReason =>
        UnavailableReason is { } reason && !IsCi ? reason + " (with CI=true this is a failure)" : null;

    /// <summary>
    /// The connection string of a reachable test server; throws, with what to do, when there is none (which, outside
    /// CI, only happens to a test that was not skipped by <see cref="SkipReason"/>).
    /// </summary>
    public static string RequireAvailable()
    {
        if (UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is required{(IsCi ? " because CI=true" : "")} but {reason}. Set {ConnectionVariable} to an Npgsql " +
                "connection string of a server where the role may create schemas, for example " +
                "\"Host=127.0.0.1;Username=rookery;Password=rookery;Database=rookery\" (.ci/run prepares that one).");
        }

        return ConnectionString!;
    }

    /// <summary>A schema name no other test uses: <c>t_</c> and 32 hex digits, a valid unquoted identifier.</summary>
    public static string NewSchemaName() => "t_" + Guid.NewGuid().ToString("N");

    /// <summary>Drops <paramref name="schema"/> and everything in it, if it exists; does nothing when the server is unavailable.</summary>
    public static async Task DropSchemaAsync(string schema)
    {
        ArgumentException.ThrowIfNullOrEmpty(schema);
        if (UnavailableReason is not null)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // Schema names come from NewSchemaName (or a test's own literal), never from outside input; quoting keeps any
        // name literal anyway.
        command.CommandText = $"DROP SCHEMA IF EXISTS \"{schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\" CASCADE";
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static string? Probe()
    {
        if (ConnectionString is not { } connectionString)
        {
            return $"{ConnectionVariable} is not set";
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
            // Fail fast on an unreachable host rather than hold up test discovery for Npgsql's default 15 s.
            builder.Timeout = builder.Timeout is > 0 and < 5 ? builder.Timeout : 5;
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or FormatException or TimeoutException or InvalidOperationException)
        {
            return $"the PostgreSQL server of {ConnectionVariable} cannot be used ({e.GetType().Name}: {e.Message})";
        }
    }
}
