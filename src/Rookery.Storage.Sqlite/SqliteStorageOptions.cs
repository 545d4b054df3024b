namespace Rookery.Storage.Sqlite;

/// <summary>Where the SQLite database lives and how long an operation waits for another process's write lock.</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>The database file; its directory is created when missing. Relative paths resolve against the working directory.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// How long a statement waits for a lock held by another connection (SQLite <c>busy_timeout</c>) before failing with
    /// <c>SQLITE_BUSY</c>. Writers of one <see cref="SqliteStorage"/> already take turns in-process, so this mostly covers
    /// other processes on the same file, such as the <c>rookery user</c> verb. Defaults to 5 seconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("The SQLite database path must not be empty.", nameof(Path));
        }

        if (BusyTimeout < TimeSpan.Zero || BusyTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(BusyTimeout), BusyTimeout, "BusyTimeout must be between zero and int.MaxValue milliseconds.");
        }
    }
}
