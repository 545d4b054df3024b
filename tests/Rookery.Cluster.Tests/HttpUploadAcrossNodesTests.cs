using System.Net;
using System.Text.Json.Nodes;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// HTTP File Upload (XEP-0363) on a cluster of real nodes sharing one upload folder: a slot handed out by one node is
/// accepted by another (the signing key is derived from the cluster secret, no shared state), and the file is served
/// by every node. A node of another cluster (another secret) refuses the same URL.
/// </summary>
[Trait("Category", "Slow")]
public sealed class HttpUploadAcrossNodesTests
{
    private const string Ns = "urn:xmpp:http:upload:0";

    [PostgresFact]
    public async Task SlotFromOneNode_PutToAnother_ServedByBoth_OtherSecretRefuses()
    {
        await using var cluster = new TestCluster();
        await using var stranger = new TestCluster();
        await cluster.CreateUsersAsync("alice");
        var shared = Path.Combine(cluster.Folder, "shared-upload");
        var (portA, portB, portStranger) = (RookeryProcess.FreePort(), RookeryProcess.FreePort(), RookeryProcess.FreePort());
        var a = await cluster.StartNodeAsync("node-a", configure: json => Configure(json, portA, shared));
        await cluster.StartNodeAsync("node-b", configure: json => Configure(json, portB, shared));
        await stranger.StartNodeAsync("stranger", secret: "another-cluster-secret-x", configure: json => Configure(json, portStranger, shared));
        await cluster.WaitForLinksAsync("node-a", "node-b");
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(a, "alice", "phone");
            var reply = await alice.IqAsync($"<iq type='get' id='slot1' to='upload.{TestCluster.Domain}'><request xmlns='{Ns}' filename='report.pdf' size='6' content-type='application/pdf'/></iq>", "slot1");
            reply.GetAttribute("type").Should().Be("result", "the reply was {0}", reply);
            var slot = reply.Child("slot", Ns)!;
            var put = new Uri(slot.Child("put", Ns)!.GetAttribute("url")!);
            var get = new Uri(slot.Child("get", Ns)!.GetAttribute("url")!);
            put.Port.Should().Be(portA, "node a names its own listener");

            // A load balancer in front of the nodes may send the PUT anywhere: first to another cluster, then to node b.
            using var refused = await http.PutAsync(On(put, portStranger), Body("%PDF-1"));
            using var stored = await http.PutAsync(On(put, portB), Body("%PDF-1"));
            using var fromA = await http.GetAsync(On(get, portA));
            using var fromB = await http.GetAsync(On(get, portB));

            refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            stored.StatusCode.Should().Be(HttpStatusCode.Created);
            foreach (var response in new[] { fromA, fromB })
            {
                response.StatusCode.Should().Be(HttpStatusCode.OK);
                (await response.Content.ReadAsStringAsync()).Should().Be("%PDF-1");
                response.Content.Headers.ContentType!.MediaType.Should().Be("application/pdf");
            }
        });
    }

    private static void Configure(JsonObject json, int httpPort, string folder)
    {
        json["Listeners"]!["Http"] = new JsonObject { ["Address"] = "127.0.0.1", ["Port"] = httpPort };
        json["Modules"] = new JsonObject { ["HttpUpload"] = new JsonObject { ["Folder"] = folder } };
    }

    /// <summary>The same URL on a node's own listener (the cluster's domain does not resolve here).</summary>
    private static Uri On(Uri url, int port) => new UriBuilder(url) { Host = "127.0.0.1", Port = port }.Uri;

    private static ByteArrayContent Body(string text)
    {
        var content = new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes(text));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/pdf");
        return content;
    }
}
