using System.Globalization;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Hosting.Tests.Cli;

/// <summary>
/// <c>rookery component</c> as a real process against real <c>rookery run</c> nodes (issue #5): it serves through a
/// node, fails over to the next listed node when that node is killed, and stops at once on a wrong secret.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ComponentCommandTests : IDisposable
{
    private const string Domain = "echo.localhost";
    private const string Secret = "component-secret";

    /// <summary>Cold start of the binary, migrations and certificate generation included.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Component_FirstNodeKilled_FailsOverToSecondNodeAndServes()
    {
        var nodeA = await StartNodeAsync("a");
        await using var a = nodeA.Process;
        var nodeB = await StartNodeAsync("b");
        await using var b = nodeB.Process;
        await using var component = RookeryProcess.Start(_folder.Path,
        [
            "component", "--domain", Domain, "--connect", $"127.0.0.1:{Port(nodeA.ComponentPort)},127.0.0.1:{Port(nodeB.ComponentPort)}",
            "--secret", Secret, "--name", "inst1",
        ]);
        await WaitForOutputAsync(component, $"connected to 127.0.0.1:{Port(nodeA.ComponentPort)}");
        (await EchoAsync(nodeA.ClientPort, "through A")).Should().Be("inst1: through A");

        // kill -9 of the node the component is connected to: the component must notice and move to node B.
        await nodeA.Process.DisposeAsync();
        await WaitForOutputAsync(component, $"connected to 127.0.0.1:{Port(nodeB.ComponentPort)}");

        (await EchoAsync(nodeB.ClientPort, "through B")).Should().Be("inst1: through B");
        component.HasExited.Should().BeFalse();
    }

    [Fact]
    public async Task Component_WrongSecret_ExitsNonZeroSayingNotAuthorized()
    {
        var node = await StartNodeAsync("a");
        await using var process = node.Process;

        var result = await RookeryProcess.RunAsync(_folder.Path,
            ["component", "--domain", Domain, "--connect", $"127.0.0.1:{Port(node.ComponentPort)}", "--secret", "wrong"]);

        result.ExitCode.Should().Be(2);
        result.StandardError.Should().Contain("not-authorized").And.NotContain("   at ");
    }

    [Theory]
    [InlineData("--service", "nonsense", "'nonsense' is not a component service")]
    [InlineData("--connect", "host:notaport", "not a TCP port")]
    public async Task Component_BadArgument_ExitsNonZeroWithOneLine(string option, string value, string message)
    {
        var args = new List<string> { "component", "--domain", Domain, "--secret", Secret, "--connect", "127.0.0.1:1" };
        var at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        var result = await RookeryProcess.RunAsync(_folder.Path, args);

        result.ExitCode.Should().Be(2);
        result.StandardError.Should().Contain(message);
    }

    [Fact]
    public async Task Component_MucService_ClientCreatesJoinsAndTalksInARoomThroughTheComponent()
    {
        const string muc = "rooms.localhost";
        var node = await StartNodeAsync("a", muc);
        await using var process = node.Process;
        await using var component = RookeryProcess.Start(_folder.Path,
        [
            "component", "--domain", muc, "--connect", $"127.0.0.1:{Port(node.ComponentPort)}", "--secret", Secret,
            "--service", "muc", "--data", _folder.Combine("muc"),
        ]);
        await WaitForOutputAsync(component, $"connected to 127.0.0.1:{Port(node.ComponentPort)}");

        await using var alice = await RawXmppClient.ConnectAsync("127.0.0.1", node.ClientPort, "localhost");
        await alice.LoginAsync("alice", "pw");
        var room = $"lobby@{muc}";
        await alice.SendAsync($"<presence to='{room}/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        var self = await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{room}/Alice", TimeSpan.FromSeconds(20));
        self.GetAttribute("type").Should().BeNull(self.ToString());
        var codes = self.Child("x", "http://jabber.org/protocol/muc#user")!.Elements().Select(s => s.GetAttribute("code")).ToList();
        codes.Should().Contain(["110", "201"], "the component created the room (XEP-0045 §10.1.1)");
        await alice.SendAsync($"<iq type='set' id='cfg' to='{room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
        (await alice.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "cfg", TimeSpan.FromSeconds(20))).GetAttribute("type").Should().Be("result");

        await alice.SendAsync($"<message to='{room}' type='groupchat' id='g1'><body>Hello through the component</body></message>");
        var echo = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "g1", TimeSpan.FromSeconds(20));
        echo.GetAttribute("type").Should().Be("groupchat", echo.ToString());
        echo.GetAttribute("from").Should().Be($"{room}/Alice");
        echo.ChildText("body", Ns.Client).Should().Be("Hello through the component");
        component.HasExited.Should().BeFalse();
    }

    private async Task<(RookeryProcess Process, int ClientPort, int ComponentPort)> StartNodeAsync(string name, string componentDomain = Domain)
    {
        var data = _folder.Combine(name);
        var add = await RookeryProcess.RunAsync(_folder.Path, ["user", "add", "alice@localhost", "--password", "pw", "--data", data]);
        add.ExitCode.Should().Be(0, add.StandardError);
        var clientPort = RookeryProcess.FreePort();
        var componentPort = RookeryProcess.FreePort();
        var process = RookeryProcess.Start(_folder.Path,
        [
            "run", "--S2S:Enabled=false", "--Listeners:Http:Enabled=false", "--data", data, "--port", Port(clientPort), "--no-direct-tls",
            "--Listeners:Component:Address=127.0.0.1", $"--Listeners:Component:Port={Port(componentPort)}",
            $"--Components:{componentDomain}:Secret={Secret}",
        ]);
        await process.WaitForPortAsync(clientPort, StartTimeout);
        await process.WaitForPortAsync(componentPort, StartTimeout);
        return (process, clientPort, componentPort);
    }

    /// <summary>Logs alice in on a node, sends a message to the component, returns the body of its answer.</summary>
    private static async Task<string> EchoAsync(int clientPort, string text)
    {
        await using var alice = await RawXmppClient.ConnectAsync("127.0.0.1", clientPort, "localhost");
        await alice.LoginAsync("alice", "pw");
        await alice.SendAsync($"<message to='room@{Domain}' id='e1' type='chat'><body>{text}</body></message>");
        var reply = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "e1", TimeSpan.FromSeconds(20));
        reply.GetAttribute("type").Should().NotBe("error", "the component should have answered: {0}", reply);
        return reply.ChildText("body", Ns.Client)!;
    }

    /// <summary>Polls the child's output (bounded) until it contains <paramref name="text"/>.</summary>
    private static async Task WaitForOutputAsync(RookeryProcess process, string text)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!process.StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' did not appear.\nstdout:\n{process.StandardOutput}\nstderr:\n{process.StandardError}");
            }

            await Task.Delay(50);
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
