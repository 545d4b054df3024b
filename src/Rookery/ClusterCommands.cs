using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Cluster.Membership;
using Rookery.Hosting;
using Rookery.Storage;

namespace Rookery.Cli;

/// <summary>
/// <c>rookery cluster status</c> (the registry: nodes, state, sessions per node, link health) and
/// <c>rookery cluster drain NODE</c> (asks a node to move its clients to the others and leave). Both work on the
/// shared PostgreSQL database, so they run anywhere the configuration reaches it.
/// </summary>
internal static class ClusterCommands
{
    public static Command Build(NodeOptions node, Func<Func<Task<int>>, Task<int>> guard)
    {
        var cluster = new Command("cluster", "Inspect and operate the cluster (needs Storage:Provider = postgres).");

        var status = new Command("status", "Print the nodes, their state, sessions per node and link health.");
        node.AddCommon(status);
        status.SetAction((parse, ct) => guard(() => WithRegistryAsync(node, parse, async registry =>
        {
            var nodes = await registry.ListAsync(TimeSpan.FromHours(1), ct).ConfigureAwait(false);
            var now = await registry.NowAsync(ct).ConfigureAwait(false);
            Console.Write(FormatStatus(nodes, now));
            return 0;
        })));

        var target = new Argument<string>("node") { Description = "The node to drain: its name or id (see 'rookery cluster status')." };
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for the node to leave (0: do not wait). Default 60.", DefaultValueFactory = _ => 60 };
        var drain = new Command("drain", "Ask a node to stop taking logins, send its clients to live nodes, and leave the cluster.") { target, wait };
        node.AddCommon(drain);
        drain.SetAction((parse, ct) => guard(() => WithRegistryAsync(node, parse, async registry =>
        {
            var name = parse.GetValue(target)!;
            var nodes = await registry.ListAsync(TimeSpan.Zero, ct).ConfigureAwait(false);
            var chosen = nodes.FirstOrDefault(n => n.IsLive && (n.Name == name || n.NodeId.ToString(CultureInfo.InvariantCulture) == name));
            if (chosen is null)
            {
                await Console.Error.WriteLineAsync($"error: no live node named '{name}' (see 'rookery cluster status')").ConfigureAwait(false);
                return 1;
            }

            if (!await registry.SetStateAsync(chosen.NodeId, [NodeStates.Joining, NodeStates.Alive], NodeStates.Draining, ct).ConfigureAwait(false) &&
                chosen.State != NodeStates.Draining)
            {
                await Console.Error.WriteLineAsync($"error: {chosen.Name} is no longer live").ConfigureAwait(false);
                return 1;
            }

            Console.WriteLine($"Draining {chosen.Name} (node {chosen.NodeId})");
            var seconds = parse.GetValue(wait);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
            while (seconds > 0)
            {
                var now = (await registry.ListAsync(TimeSpan.FromHours(1), ct).ConfigureAwait(false)).FirstOrDefault(n => n.NodeId == chosen.NodeId);
                if (now is null || !now.IsLive)
                {
                    Console.WriteLine($"{chosen.Name} {(now?.State == NodeStates.Left ? "left the cluster" : "is gone (" + (now?.State ?? "removed") + ")")}");
                    return 0;
                }

                if (DateTime.UtcNow > deadline)
                {
                    await Console.Error.WriteLineAsync($"error: {chosen.Name} did not leave within {seconds} s (state {now.State})").ConfigureAwait(false);
                    return 1;
                }

                await Task.Delay(200, ct).ConfigureAwait(false);
            }

            return 0;
        })));

        cluster.Add(status);
        cluster.Add(drain);
        return cluster;
    }

    /// <summary>The status table: one line per node, newest state first by id.</summary>
    internal static string FormatStatus(IReadOnlyList<NodeRecord> nodes, DateTimeOffset now)
    {
        var text = new StringBuilder();
        var live = nodes.Count(n => n.IsLive);
        text.Append(CultureInfo.InvariantCulture, $"{live} live node(s), {nodes.Where(n => n.IsLive).Sum(n => n.Sessions)} session(s)\n");
        text.Append(CultureInfo.InvariantCulture, $"{"NODE",-20} {"ID",6} {"STATE",-9} {"LINK ADDRESS",-24} {"CLIENTS",-24} {"SESSIONS",8} {"HEARTBEAT",10}  LINKS\n");
        foreach (var n in nodes)
        {
            var age = (now - n.HeartbeatAt).TotalSeconds;
            var host = n.Host.Contains(':', StringComparison.Ordinal) ? "[" + n.Host + "]" : n.Host;
            text.Append(CultureInfo.InvariantCulture,
                $"{n.Name,-20} {n.NodeId,6} {n.State,-9} {host + ":" + n.ClusterPort,-24} {n.ClientAddress,-24} {n.Sessions,8} {age,8:0.0}s  {(n.Links.Length == 0 ? "-" : n.Links)}\n");
        }

        return text.ToString();
    }

    private static async Task<int> WithRegistryAsync(NodeOptions node, ParseResult parse, Func<ClusterRegistry, Task<int>> action)
    {
        var options = node.Load(parse);
        if (!options.Storage.Provider.Equals("postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException("a cluster needs Storage:Provider = postgres; this configuration uses " + options.Storage.Provider);
        }

        // The registry table comes with the storage migrations (0010): a fresh database gets it here too.
        await using (var provider = new ServiceCollection().AddLogging().AddRookery(options).BuildServiceProvider())
        {
            await provider.MigrateStorageAsync().ConfigureAwait(false);
        }

        await using var registry = new ClusterRegistry(options.Storage.Postgres.ConnectionString, options.Storage.Postgres.Schema);
        return await action(registry).ConfigureAwait(false);
    }
}
