namespace Rookery.Hosting;

/// <summary>PostgreSQL backend settings (configuration section <c>Storage:Postgres</c>).</summary>
public sealed class PostgresSettings
{
    /// <summary>
    /// The Npgsql connection string (<c>Host=db;Username=rookery;Password=...;Database=rookery</c>), including pool
    /// sizes and timeouts; required when <see cref="StorageOptions.Provider"/> is <c>postgres</c>. Empty by default.
    /// </summary>
    public string ConnectionString { get; init; } = "";

    /// <summary>The schema holding the tables, created at start-up when missing. Default <c>public</c>.</summary>
    public string Schema { get; init; } = "public";
}
