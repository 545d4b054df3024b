using System.Globalization;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Hosting.Tests.Cli;

/// <summary>
/// Connect mode (issue #5, Tigase's <c>connect</c>): a real <c>rookery run</c> node dials a real
/// <c>rookery component --listen</c> process (XEP-0114 <c>jabber:component:connect</c>, the node proving the secret),
/// serves clients through it, dials again with backoff when the component restarts, and is refused on a wrong secret.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ComponentConnectModeTests : IDisposable
{
    private const string Domain = "echo.localhost";
    private const string Secret = "connect-mode-secret";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Node_DialsListeningComponent_ServesThroughIt_AndRedialsAfterComponentRestart()
    {
        var componentPort = RookeryProcess.FreePort();
        var (node, clientPort) = await StartNodeAsync(componentPort, Secret);
        await using var nodeProcess = node;
        // The node is up before the component listens: it keeps dialling with backoff until the component is there.
        var first = StartListeningComponent(componentPort, Secret, "lis1");
        await using (first)
        {
            await WaitForOutputAsync(first, "connected to us as instance lis1");
            await using var alice = await LoginAsync(clientPort);
            (await EchoAsync(alice, "e1", "hello")).Should().Be("lis1: hello");

            // kill -9 of the component: the instance goes away, stanzas bounce meanwhile (never silently lost).
            await first.KillAsync();
            await WaitForOutputAsync(node, "the connection to 127.0.0.1:" + Port(componentPort) + " ended");
            await alice.SendAsync($"<message to='room@{Domain}' id='e2' type='chat'><body>nobody there</body></message>");
            var bounced = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "e2", StartTimeout);
            bounced.GetAttribute("type").Should().Be("error");
            bounced.Child("error", Ns.Client)!.Child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas").Should().NotBeNull(bounced.ToString());

            await using var second = StartListeningComponent(componentPort, Secret, "lis2");
            await WaitForOutputAsync(second, "connected to us as instance lis2");
            (await EchoAsync(alice, "e3", "again")).Should().Be("lis2: again");
        }

        nodeProcess.StandardOutput.Should().NotContain("fail:");
    }

    [Fact]
    public async Task Node_WithWrongSecret_IsRefusedByTheComponent_AndLogsIt()
    {
        var componentPort = RookeryProcess.FreePort();
        await using var component = StartListeningComponent(componentPort, "the-component-secret", "lis1");
        await WaitForOutputAsync(component, "listening on");
        var (node, _) = await StartNodeAsync(componentPort, "another-secret");
        await using var nodeProcess = node;

        await WaitForOutputAsync(component, "wrong secret in the handshake", node);
        await WaitForOutputAsync(node, "refused this node's handshake: not-authorized");
        component.StandardOutput.Should().NotContain("connected to us");
    }

    private RookeryProcess StartListeningComponent(int port, string secret, string name) =>
        RookeryProcess.Start(_folder.Path,
            ["component", "--domain", Domain, "--listen", "127.0.0.1:" + Port(port), "--secret", secret, "--name", name]);

    private async Task<(RookeryProcess Process, int ClientPort)> StartNodeAsync(int componentPort, string secret)
    {
        var data = _folder.Combine("node");
        var add = await RookeryProcess.RunAsync(_folder.Path, ["user", "add", "alice@localhost", "--password", "pw", "--data", data]);
        add.ExitCode.Should().Be(0, add.StandardError);
        var clientPort = RookeryProcess.FreePort();
        var process = RookeryProcess.Start(_folder.Path,
        [
            "run", "--S2S:Enabled=false", "--Listeners:Http:Enabled=false", "--data", data, "--port", Port(clientPort), "--no-direct-tls",
            "--Listeners:Component:Address=127.0.0.1", $"--Listeners:Component:Port={Port(RookeryProcess.FreePort())}",
            $"--Components:{Domain}:Secret={secret}", $"--Components:{Domain}:Connect:0=127.0.0.1:{Port(componentPort)}",
        ]);
        await process.WaitForPortAsync(clientPort, StartTimeout);
        return (process, clientPort);
    }

    private static async Task<RawXmppClient> LoginAsync(int clientPort)
    {
        var alice = await RawXmppClient.ConnectAsync("127.0.0.1", clientPort, "localhost");
        await alice.LoginAsync("alice", "pw");
        return alice;
    }

    private static async Task<string> EchoAsync(RawXmppClient alice, string id, string text)
    {
        await alice.SendAsync($"<message to='room@{Domain}' id='{id}' type='chat'><body>{text}</body></message>");
        var reply = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == id, TimeSpan.FromSeconds(20));
        reply.GetAttribute("type").Should().NotBe("error", "the component should have answered: {0}", reply);
        return reply.ChildText("body", Ns.Client)!;
    }

    /// <summary>Waits for <paramref name="text"/> in <paramref name="process"/>'s output; a timeout shows the peer's output too.</summary>
    private static async Task WaitForOutputAsync(RookeryProcess process, string text, RookeryProcess? peer = null)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!process.StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var peerOutput = peer is null ? "" : $"\npeer (exited: {peer.HasExited}) stdout:\n{peer.StandardOutput}\npeer stderr:\n{peer.StandardError}";
                throw new TimeoutException($"'{text}' did not appear.\nstdout:\n{process.StandardOutput}\nstderr:\n{process.StandardError}{peerOutput}");
            }

            await Task.Delay(50);
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
