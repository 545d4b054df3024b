using Rookery.Storage;
using Rookery.Storage.Sqlite;

namespace Rookery.Modules.Tests;

/// <summary>A real, migrated SQLite store in a temporary folder for one test, removed afterwards.</summary>
public abstract class SqliteTestBase : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "rookery-modules-tests", Guid.NewGuid().ToString("N"));

    protected IStorage Storage { get; private set; } = null!;

    /// <summary>The SQLite file behind <see cref="Storage"/>.</summary>
    protected string DatabasePath => Path.Combine(_root, "test.db");

    public async Task InitializeAsync()
    {
        Storage = new SqliteStorage(new SqliteStorageOptions { Path = DatabasePath });
        await Storage.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await Storage.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
