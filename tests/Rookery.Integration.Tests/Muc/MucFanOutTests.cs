using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Server.Transport;
using Rookery.TestKit;
using Xunit.Abstractions;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>A room with 1,000 occupants over real sockets: one groupchat message reaches every one of them.</summary>
[Trait("Category", "Slow")]
public sealed class MucFanOutTests(ITestOutputHelper output)
{
    private const int Occupants = 1000;

    [Fact]
    public async Task Groupchat_ThousandOccupants_ReachesEveryOne()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("crowd");
        var room = server.Room("stadium");
        // One account, a thousand resources: a thousand sessions and occupants without a thousand accounts.
        var clients = new RawXmppClient[Occupants];
        try
        {
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, Occupants), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
                clients[i] = await server.LoginAsync("crowd", resource: $"r{i}"));
            output.WriteLine($"{Occupants} logins in {clock.ElapsedMilliseconds} ms");

            // Presence of participants goes to moderators only, so that joining stays linear (the message is the point).
            await clients[0].CreateConfiguredRoomAsync(room, "n0", ("muc#roomconfig_presencebroadcast", "moderator"));
            clock.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(1, Occupants - 1), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                var self = await clients[i].JoinAsync(room, $"n{i}", "<history maxstanzas='0'/>");
                self.GetAttribute("type").Should().BeNull(self.ToString());
            });
            output.WriteLine($"{Occupants - 1} joins in {clock.ElapsedMilliseconds} ms");

            clock.Restart();
            await clients[1].SendAsync($"<message to='{room}' type='groupchat' id='wave'><body>The wave</body></message>");
            await Task.WhenAll(clients.Select(c => c.WaitForAsync(Groupchat($"{room}/n1", "The wave"), TimeSpan.FromSeconds(60))));
            output.WriteLine($"one groupchat message reached {Occupants} occupants in {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            foreach (var client in clients)
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }
            }

            // A thousand sessions ending (presence to the account's other resources, leaving the room, storage) is
            // work of its own: the server is stopped once it is done, so that the host's 30 s stop limit measures the
            // shutdown, not the tail of the disconnections (the server answers each closing tag before that work).
            var open = server.Services.GetRequiredService<ClientConnections>();
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 180;
            while (open.Count > 0 && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50);
            }

            output.WriteLine($"{open.Count} connections still open after the clients left");
        }
    }
}
