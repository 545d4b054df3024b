using System.Globalization;
using Rookery.Hosting;
using Rookery.Integration.Tests.Im;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Storage.Postgres;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Storage;

/// <summary>
/// A whole node on PostgreSQL (<c>Storage:Provider = postgres</c>) over real sockets: accounts, login and offline
/// messages go through the shared database, in a fresh schema per test. Skipped without a reachable
/// <c>TEST_POSTGRES_CONNECTION</c>, failed instead under <c>CI=true</c>.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PostgresNodeTests : IAsyncLifetime
{
    private readonly string _schema = PostgresTestDatabase.NewSchemaName();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgresTestDatabase.DropSchemaAsync(_schema);

    [PostgresFact]
    public async Task Node_OnPostgres_LoginAndOfflineMessageRoundTrip_AndDataSurvivesARestart()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await using (var server = await StartAsync())
        {
            server.Storage.Should().BeOfType<PostgresStorage>();
            await server.CreateUserAsync("alice", "alice-pass");
            await server.CreateUserAsync("bob", "bob-pass");
            await using var alice = await server.LoginAsync("alice", "alice-pass");

            await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='m1'><body>stored in postgres</body></message>");
            await alice.SyncAsync();

            (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(1, "bob has no session, so the message went to the database");
        }

        // A restarted node (or a second one) on the same schema: migration finds nothing to do, and the account, its
        // credentials and the stored message are all there.
        await using (var server = await StartAsync())
        {
            await using var bob = await server.LoginAsync("bob", "bob-pass");

            var message = await bob.WaitForAsync(Match.AnyMessage);
            message.GetAttribute("id").Should().Be("m1");
            message.ChildText("body", Ns.Client).Should().Be("stored in postgres");
            message.GetAttribute("from").Should().StartWith(server.Bare("alice") + "/");
            var stamp = DateTimeOffset.Parse(message.Child("delay", Ns.Delay)!.GetAttribute("stamp")!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            stamp.Should().BeOnOrAfter(before).And.BeOnOrBefore(DateTimeOffset.UtcNow.AddSeconds(1));
            await bob.SyncAsync();

            (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(0, "a delivered message is removed");
            (await server.Storage.Accounts.ListAsync(server.Domain)).Should().Equal("alice", "bob");
        }
    }

    private Task<TestServer> StartAsync()
    {
        var connectionString = PostgresTestDatabase.RequireAvailable();
        return TestServer.StartAsync(o => o.Storage = new StorageOptions
        {
            Provider = "postgres",
            Postgres = new PostgresSettings { ConnectionString = connectionString, Schema = _schema },
        });
    }
}
