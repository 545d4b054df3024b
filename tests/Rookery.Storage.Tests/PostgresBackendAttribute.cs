using Rookery.TestKit;

namespace Rookery.Storage.Tests;

/// <summary>
/// Marks a test class that needs the PostgreSQL test database: skipped without one, except in CI (see
/// <see cref="PostgresTestDatabase"/>).
/// </summary>
public sealed class PostgresBackendAttribute : StorageBackendAttribute
{
    /// <inheritdoc />
    public override string? SkipReason => PostgresTestDatabase.SkipReason;
}
