namespace Rookery.Hosting;

/// <summary>Where a node keeps its data (configuration section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>
    /// The backend: <c>sqlite</c> (the embedded default) or <c>postgres</c> (a PostgreSQL database that several nodes
    /// can share).
    /// </summary>
    public string Provider { get; init; } = "sqlite";

    /// <summary>SQLite settings.</summary>
    public SqliteSettings Sqlite { get; init; } = new();

    /// <summary>PostgreSQL settings, used when <see cref="Provider"/> is <c>postgres</c>.</summary>
    public PostgresSettings Postgres { get; init; } = new();
}

/// <summary>SQLite backend settings.</summary>
public sealed class SqliteSettings
{
    /// <summary>The database file; a relative path is relative to the data directory. Default <c>rookery.db</c>.</summary>
    public string Path { get; init; } = "rookery.db";
}
