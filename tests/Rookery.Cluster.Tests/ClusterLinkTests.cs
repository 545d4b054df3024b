using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Node links between real <c>rookery</c> processes: links inside TLS (certificates made in the test), a TLS node and a
/// plain node refusing each other with a logged reason, and <c>Cluster:SeedNodes</c> reaching a peer whose advertised
/// address does not resolve.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ClusterLinkTests
{
    [PostgresFact]
    public async Task TwoNodesWithLinkTls_CaSignedCertificates_ExchangeMessagesOverEncryptedLinks()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        using var ca = TestCertificates.SelfSigned("rookery test cluster CA", ca: true);
        var (caPath, _) = TestCertificates.WritePem(ca, cluster.Folder, "ca");
        foreach (var name in new[] { "node-a", "node-b" })
        {
            using var certificate = TestCertificates.IssuedBy(ca, name);
            var (cert, key) = TestCertificates.WritePem(certificate, cluster.Folder, name);
            await cluster.StartNodeAsync(name, cluster: new Dictionary<string, object?>
            {
                ["Tls"] = new { Enabled = true, CertificatePath = cert, KeyPath = key, TrustedCertificatesPath = caPath },
            });
        }

        await cluster.RunAsync(async () =>
        {
            await cluster.WaitForLinksAsync("node-a", "node-b");
            var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
            a.Process.StandardOutput.Should().Contain("is encrypted (Tls1");
            b.Process.StandardOutput.Should().Contain("is encrypted (Tls1");

            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            var bob = await cluster.LoginAsync(b, "bob", "phone");
            await alice.SendAsync($"<message to='bob@{TestCluster.Domain}/phone' type='chat' id='t1'><body>over TLS</body></message>");
            (await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "t1", TestCluster.Wait))
                .ChildText("body", Ns.Client).Should().Be("over TLS");
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}/laptop' type='chat' id='t2'><body>and back</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "t2", TestCluster.Wait);
        });
    }

    [PostgresFact]
    public async Task TlsNodeAndPlainNode_LinkRefusedOnBothSides_Logged()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        using var shared = TestCertificates.SelfSigned("rookery cluster");
        var (cert, key) = TestCertificates.WritePem(shared, cluster.Folder, "shared");
        var a = await cluster.StartNodeAsync("node-a", cluster: new Dictionary<string, object?>
        {
            ["Tls"] = new { Enabled = true, CertificatePath = cert, KeyPath = key },
        });
        var b = await cluster.StartNodeAsync("node-b");
        await cluster.RunAsync(async () =>
        {
            // node-a is older, so it dials: its TLS hello meets a plain acceptor, which refuses and says why; node-a's
            // handshake fails on the plain answer and says so. Neither waits for the other's timeout.
            var deadline = DateTime.UtcNow + TestCluster.Wait;
            while (!(b.Process.StandardOutput.Contains("it starts TLS but Cluster:Tls:Enabled is false on this node", StringComparison.Ordinal) &&
                     a.Process.StandardOutput.Contains("The TLS handshake of the cluster link with", StringComparison.Ordinal)) &&
                   DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            b.Process.StandardOutput.Should().Contain("Refused a cluster link from").And.Contain("it starts TLS but Cluster:Tls:Enabled is false on this node");
            a.Process.StandardOutput.Should().Contain("The TLS handshake of the cluster link with");

            // No link, so no session crosses: a message to bob on node-b is not forwarded to him.
            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            var bob = await cluster.LoginAsync(b, "bob", "phone");
            await alice.SendAsync($"<message to='bob@{TestCluster.Domain}/phone' type='chat' id='x'><body>plain?</body></message>");
            await bob.ExpectNothingAsync(TimeSpan.FromSeconds(2), e => e.Name == "message");
            var nodes = await cluster.Registry.ListAsync(TimeSpan.Zero);
            nodes.Single(n => n.Name == "node-a").Links.Should().Contain("node-b=down");
        });
    }

    [PostgresFact]
    public async Task SeedNodes_PeerAdvertisesUnresolvableAddress_LinkedThroughItsSeedEntry()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var portB = RookeryProcess.FreePort();
        // node-a (older, so the dialler) knows node-b only through its seed entry; node-b advertises a name that can never
        // resolve (RFC 6761 .invalid), so without the seed entry the link could not come up.
        var a = await cluster.StartNodeAsync("node-a", cluster: new Dictionary<string, object?>
        {
            ["SeedNodes"] = new[] { $"node-b=127.0.0.1:{portB}" },
        });
        var b = await cluster.StartNodeAsync("node-b", clusterPort: portB, cluster: new Dictionary<string, object?>
        {
            ["AdvertisedAddress"] = "node-b.invalid",
        });
        await cluster.RunAsync(async () =>
        {
            await cluster.WaitForLinksAsync("node-a", "node-b");
            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            var bob = await cluster.LoginAsync(b, "bob", "phone");
            await alice.SendAsync($"<message to='bob@{TestCluster.Domain}/phone' type='chat' id='s1'><body>via the seed</body></message>");
            await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "s1", TestCluster.Wait);
        });
    }
}
