using System.Globalization;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A real third-party client (slixmpp, interop/*.py) against a three-node cluster, with the users spread over the nodes:
/// every step group of the single-server interop run (login, subscriptions, presence, messages, offline delivery,
/// stream-management resumption, carbons to a resource on another node, MAM paging), then MUC with the occupants on
/// three nodes and PEP between contacts on two. "A client on any node talks as if on one" (seed 004), shown by a client
/// we did not write.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SlixmppAcrossNodesTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(240);

    [PostgresFact]
    public async Task SlixmppClients_OnDifferentNodes_EveryInteropStepPasses()
    {
        Assert.True(InteropScript.MissingSlixmpp is null, InteropScript.MissingSlixmpp);
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob", "carol");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b", "node-c");
        var (a, b, c) = (Port(nodes[0]), Port(nodes[1]), Port(nodes[2]));
        string[] users = ["--domain", TestCluster.Domain, "--user1", "alice", "--pass1", TestCluster.Password, "--user2", "bob", "--pass2", TestCluster.Password];
        await cluster.RunAsync(async () =>
        {
            await PassesAsync(cluster, "slixmpp_interop.py", ["--port", a, "--port2", b, .. users]);
            await PassesAsync(cluster, "slixmpp_pep.py", ["--port", a, "--port2", c, .. users]);
            await PassesAsync(cluster, "slixmpp_muc_interop.py", ["--port", a, "--port2", b, "--port3", c, .. users, "--user3", "carol", "--pass3", TestCluster.Password]);
        });
    }

    private static string Port(TestNode node) => node.ClientPort.ToString(CultureInfo.InvariantCulture);

    private static async Task PassesAsync(TestCluster cluster, string script, string[] args)
    {
        var path = InteropScript.PathOf(script);
        File.Exists(path).Should().BeTrue("the test project copies interop/*.py next to the assembly ({0})", path);
        var (exitCode, output) = await InteropScript.RunAsync(path, ["--host", "127.0.0.1", .. args], ScriptTimeout);
        var failures = output.Split('\n').Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)).ToList();
        failures.Should().BeEmpty("every step of {0} must pass across nodes; the script said:\n{1}{2}", script, output, cluster.Logs());
        exitCode.Should().Be(0, "{0} said:\n{1}", script, output);
        output.Should().Contain("ALL PASSED");
    }
}
