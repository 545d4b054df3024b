using Npgsql;
using Rookery.Cluster.Membership;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// The heartbeat's own connection: its commits do not wait for the write-ahead log's flush, so a beat is visible to the
/// peers at once even while the database is busy flushing other commits (offline storage of a backlog).
/// </summary>
public sealed class HeartbeatConnectionTests
{
    [PostgresFact]
    public async Task HeartbeatConnection_CommitsWithoutWaitingForTheLogFlush_AndKeepsTheConfiguredOptions()
    {
        var database = PostgresTestDatabase.RequireAvailable();
        var withOptions = new NpgsqlConnectionStringBuilder(database) { Options = "-c lock_timeout=4321" }.ConnectionString;
        await using var registry = new ClusterRegistry(withOptions, "public");

        await using var connection = new NpgsqlConnection(ClusterMembership.HeartbeatConnectionString(registry, new ClusterOptions()));
        await connection.OpenAsync();

        (await ShowAsync(connection, "synchronous_commit")).Should().Be("off");
        (await ShowAsync(connection, "lock_timeout")).Should().Be("4321ms", "options of the configured connection string are kept");
    }

    private static async Task<string> ShowAsync(NpgsqlConnection connection, string setting)
    {
        await using var command = new NpgsqlCommand("SHOW " + setting, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
