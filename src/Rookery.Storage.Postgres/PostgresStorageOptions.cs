using Npgsql;

namespace Rookery.Storage.Postgres;

/// <summary>Which PostgreSQL database and schema a <see cref="PostgresStorage"/> keeps its tables in.</summary>
public sealed class PostgresStorageOptions
{
    /// <summary>The default <see cref="Schema"/>.</summary>
    public const string DefaultSchema = "public";

    /// <summary>
    /// An Npgsql connection string (<c>Host=db;Username=rookery;Password=...;Database=rookery</c>). Pool sizes, timeouts,
    /// TLS and keepalive are set here too (<c>Maximum Pool Size</c>, <c>Timeout</c>, <c>SSL Mode</c>...); a
    /// <c>Search Path</c> in it is replaced by <see cref="Schema"/>.
    /// </summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// The schema that holds the tables, created at migration when missing. Several deployments (or tests) can share one
    /// database with a schema each. A lower-case SQL identifier: letters a-z, digits and underscores, not starting with a
    /// digit or <c>pg_</c>, at most 63 characters. Defaults to <c>public</c>.
    /// </summary>
    public string Schema { get; init; } = DefaultSchema;

    /// <summary>
    /// The pool limit per node when the connection string names none. Npgsql's own default (100) is PostgreSQL's
    /// default <c>max_connections</c>: two nodes in a login storm would take every slot, and then the cluster's own lock
    /// and heartbeat connections are refused and the nodes declare each other dead. Operations wait for a pooled
    /// connection instead (up to the connection string's <c>Timeout</c>); ejabberd's default pool is 10.
    /// </summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>
    /// <paramref name="builder"/> (parsed from <paramref name="connectionString"/>) with <see cref="DefaultMaxPoolSize"/>
    /// applied unless the connection string sets a maximum pool size itself, under any of Npgsql's spellings.
    /// </summary>
    public static NpgsqlConnectionStringBuilder WithPoolDefaults(NpgsqlConnectionStringBuilder builder, string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in given.Keys)
        {
            var normalised = key.Replace(" ", string.Empty, StringComparison.Ordinal);
            if (normalised.Equals("MaximumPoolSize", StringComparison.OrdinalIgnoreCase) ||
                normalised.Equals("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
            {
                return builder;
            }
        }

        builder.MaxPoolSize = DefaultMaxPoolSize;
        return builder;
    }

    /// <summary>Why <paramref name="connectionString"/> cannot be used, or null when it can; the text never repeats a password.</summary>
    public static string? DescribeConnectionStringProblem(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "must not be empty";
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql names the keyword or the malformed value, never the whole string, so no password leaks here.
            return "is not a valid Npgsql connection string: " + e.Message;
        }

        return string.IsNullOrWhiteSpace(builder.Host) ? "has no Host" : null;
    }

    /// <summary>Why <paramref name="schema"/> cannot be used as <see cref="Schema"/>, or null when it can.</summary>
    public static string? DescribeSchemaProblem(string? schema)
    {
        if (string.IsNullOrEmpty(schema))
        {
            return "must not be empty";
        }

        // PostgreSQL's NAMEDATALEN is 64 bytes with the terminator; a longer name would be truncated silently.
        if (schema.Length > 63)
        {
            return "is longer than 63 characters";
        }

        // Restricting the name to lower-case unquoted identifiers means it never needs quoting in search_path or DDL,
        // and always names the same schema whether or not a tool quotes it.
        if (schema[0] is >= '0' and <= '9' || schema.StartsWith("pg_", StringComparison.Ordinal))
        {
            return $"'{schema}' must not start with a digit or 'pg_'";
        }

        foreach (var c in schema)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return $"'{schema}' may contain only lower-case letters a-z, digits and underscores";
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/>, naming the property, when the options cannot be used.</summary>
    internal void Validate()
    {
        if (DescribeConnectionStringProblem(ConnectionString) is { } connectionProblem)
        {
            throw new ArgumentException("The PostgreSQL connection string " + connectionProblem + ".", nameof(ConnectionString));
        }

        if (DescribeSchemaProblem(Schema) is { } schemaProblem)
        {
            throw new ArgumentException("The PostgreSQL schema " + schemaProblem + ".", nameof(Schema));
        }
    }
}
