using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Hosting.Tests.Cli;

/// <summary><c>rookery run</c> as a real process: start-up errors, the quickstart, SIGTERM, the friendly switches.</summary>
[Trait("Category", "Slow")]
public sealed class RunCommandTests : IDisposable
{
    /// <summary>Cold start of the binary, migrations and certificate generation included.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A configuration error must stop the process well before anything could be served.</summary>
    private static readonly TimeSpan FailFastTimeout = TimeSpan.FromSeconds(20);

    private readonly TempFolder _folder = new();

    private string Data => _folder.Combine("data");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Run_ConfigFileWithUnknownKey_ExitsNonZeroNamingTheKey()
    {
        var config = _folder.Write("node.json", """{ "Listeners": { "Client": { "Prot": 5222 } } }""");
        await using var node = StartNode("--config", config);

        var code = await node.WaitForExitAsync(FailFastTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain("'Listeners:Client:Prot'").And.Contain("node.json").And.NotContain("   at ");
    }

    [Fact]
    public async Task Run_UnknownKeyInEnvironment_ExitsNonZeroNamingTheVariable()
    {
        await using var node = StartNode(new Dictionary<string, string> { ["ROOKERY_Limits__MaxStanzaByte"] = "1000" });

        var code = await node.WaitForExitAsync(FailFastTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain("'Limits:MaxStanzaByte'").And.Contain("ROOKERY_Limits__MaxStanzaByte");
    }

    [Theory]
    [InlineData("--prot", "5222")]
    [InlineData("--verbose")]
    [InlineData("stray")]
    public async Task Run_UnknownSwitchOrArgument_ExitsNonZeroNamingIt(params string[] extra)
    {
        await using var node = StartNode(extra);

        var code = await node.WaitForExitAsync(FailFastTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain(extra[0].TrimStart('-'));
    }

    [Fact]
    public async Task Run_InvalidValueSwitch_ExitsNonZeroNamingTheKey()
    {
        await using var node = StartNode("--Limits:MaxStanzaBytes=10");

        var code = await node.WaitForExitAsync(FailFastTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain("'Limits:MaxStanzaBytes'");
    }

    [Fact]
    public async Task Run_JsonSyntaxError_ExitsNonZeroWithLine()
    {
        var config = _folder.Write("broken.json", "{\n  \"Hosts\": {\n    \"localhost\": { \"TlsRequired\": tru }\n  }\n}\n");
        await using var node = StartNode("--config", config);

        var code = await node.WaitForExitAsync(FailFastTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain("broken.json").And.Contain("not valid JSON").And.Contain("line 3");
    }

    [Fact]
    public async Task Run_PortInUse_ExitsNonZeroWithOneLineError()
    {
        using var occupant = new TcpListener(IPAddress.IPv6Any, 0);
        occupant.Server.DualMode = true;
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        await using var node = StartNode("--port", Port(port), "--no-direct-tls");

        var code = await node.WaitForExitAsync(StartTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain("cannot open a listener").And.Contain(Port(port)).And.NotContain("   at ");
    }

    [Fact]
    public async Task Run_DatabaseUnreachable_ExitsNonZeroWithOneLineError()
    {
        // Nothing listens on the port the free-port probe just released: the connection is refused at once.
        var dead = RookeryProcess.FreePort();
        await using var node = StartNode(
            "--port", Port(RookeryProcess.FreePort()), "--no-direct-tls", "--Storage:Provider=postgres",
            $"--Storage:Postgres:ConnectionString=Host=127.0.0.1;Port={Port(dead)};Username=u;Password=p;Database=d;Timeout=3");

        var code = await node.WaitForExitAsync(StartTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain("cannot use the database").And.NotContain("   at ");
    }

    [Fact]
    public async Task Run_DataFolderUnderAFile_ExitsNonZeroNamingDataDirectory()
    {
        // A folder that no one, root included, can create: its parent is a regular file.
        var blocker = _folder.Write("blocker", "not a folder");
        await using var node = RookeryProcess.Start(_folder.Path,
            ["run", "--S2S:Enabled=false", "--Listeners:Http:Enabled=false", "--no-direct-tls", "--port", Port(RookeryProcess.FreePort()), "--data", Path.Combine(blocker, "data")]);

        var code = await node.WaitForExitAsync(StartTimeout);

        code.Should().NotBe(0);
        node.StandardError.Should().Contain("'DataDirectory'").And.Contain("cannot be created").And.NotContain("   at ");
    }

    /// <summary>
    /// The README quickstart: start a node, create two accounts with the CLI while it runs, chat, then stop the node
    /// with SIGTERM; clients get &lt;system-shutdown/&gt; and the process exits 0.
    /// </summary>
    [Fact]
    public async Task Quickstart_RunCreateUsersChat_SigtermSendsSystemShutdownAndExitsZero()
    {
        var port = RookeryProcess.FreePort();
        var tlsPort = RookeryProcess.FreePort();
        await using var node = StartNode("--port", Port(port), "--tls-port", Port(tlsPort));
        await node.WaitForPortAsync(port, StartTimeout);
        await node.WaitForPortAsync(tlsPort, StartTimeout);

        foreach (var user in new[] { "alice", "bob" })
        {
            var add = await RookeryProcess.RunAsync(_folder.Path, ["user", "add", $"{user}@localhost", "--password", "s3cret", "--data", Data]);
            add.ExitCode.Should().Be(0, add.StandardError);
        }

        await using var alice = await RawXmppClient.ConnectAsync("127.0.0.1", port, "localhost");
        await alice.LoginAsync("alice", "s3cret");
        await using var bob = await RawXmppClient.ConnectDirectTlsAsync("127.0.0.1", tlsPort, "localhost");
        await bob.OpenStreamAsync();
        await bob.AuthenticateScramAsync("bob", "s3cret");
        await bob.BindAsync("laptop");
        await bob.SendAsync("<presence/>");
        await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == bob.Jid!.ToString());

        await alice.SendAsync("<message to='bob@localhost' type='chat' id='q1'><body>hello from the quickstart</body></message>");
        var message = await bob.WaitForAsync(e => e.Name == "message");
        message.GetAttribute("from").Should().Be(alice.Jid!.ToString());
        message.ChildText("body", Ns.Client).Should().Be("hello from the quickstart");

        node.Terminate();

        (await alice.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.SystemShutdown);
        (await bob.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.SystemShutdown);
        var code = await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
        code.Should().Be(0, node.StandardError);
        node.StandardError.Should().BeEmpty();
    }

    [Fact]
    public async Task Run_DomainSwitchWithRegistration_ServesOnlyThatDomain()
    {
        var port = RookeryProcess.FreePort();
        // The client port comes from the environment, to cover the ROOKERY_ naming (levels joined by "__").
        await using var node = StartNode(
            new Dictionary<string, string> { ["ROOKERY_Listeners__Client__Port"] = Port(port) },
            "--domain", "example.test", "--allow-registration", "--no-direct-tls");
        await node.WaitForPortAsync(port, StartTimeout);

        await using (var served = await RawXmppClient.ConnectAsync("127.0.0.1", port, "example.test"))
        {
            var features = await served.OpenStreamAsync();
            features.Elements().Should().Contain(e => e.Name == "starttls");
            served.StreamHeader!.GetAttribute("from").Should().Be("example.test");
        }

        await using var other = await RawXmppClient.ConnectAsync("127.0.0.1", port, "localhost");
        await other.SendAsync("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
        (await other.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.HostUnknown);
    }

    [Fact]
    public async Task Run_DomainSwitch_KeepsThatHostsConfiguredSettings()
    {
        var port = RookeryProcess.FreePort();
        // The host's own key comes from a switch; --domain must keep it rather than start the host from defaults.
        await using var node = StartNode(
            "--Hosts:example.test:AllowUnencryptedPlain=true", "--domain", "example.test", "--port", Port(port), "--no-direct-tls");
        await node.WaitForPortAsync(port, StartTimeout);

        await using var client = await RawXmppClient.ConnectAsync("127.0.0.1", port, "example.test");
        var features = await client.OpenStreamAsync();
        features.Child("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl")!.Elements().Select(e => e.Text).Should().Contain("PLAIN");
    }

    [Fact]
    public async Task Run_HttpPortSwitch_ServesWebSocketAndHostMeta()
    {
        var port = RookeryProcess.FreePort();
        var httpPort = RookeryProcess.FreePort();
        await using var node = StartNode("--port", Port(port), "--no-direct-tls", "--Listeners:Http:Address=127.0.0.1", "--http-port", Port(httpPort));
        await node.WaitForPortAsync(httpPort, StartTimeout);

        using var http = new HttpClient();
        var hostMeta = await http.GetStringAsync(new Uri($"http://127.0.0.1:{Port(httpPort)}/.well-known/host-meta.json"));
        hostMeta.Should().Contain($"ws://127.0.0.1:{Port(httpPort)}/xmpp-websocket");
        await using var web = await WebSocketXmppClient.ConnectAsync(new Uri($"ws://127.0.0.1:{Port(httpPort)}/xmpp-websocket"));
        var features = await web.OpenAsync("localhost");
        features.Name.LocalName.Should().Be("features");
    }

    [Fact]
    public async Task Run_Proxy65PortSwitch_OpensTheSocks5Listener()
    {
        var port = RookeryProcess.FreePort();
        var proxyPort = RookeryProcess.FreePort();
        await using var node = StartNode("--port", Port(port), "--no-direct-tls", "--Listeners:Proxy65:Address=127.0.0.1", "--proxy65-port", Port(proxyPort));
        await node.WaitForPortAsync(proxyPort, StartTimeout);

        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, proxyPort);
        await socket.SendAsync(new byte[] { 5, 1, 0 });
        var answer = new byte[2];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = 0;
        while (read < 2)
        {
            read += await socket.ReceiveAsync(answer.AsMemory(read), timeout.Token);
        }

        answer.Should().Equal(5, 0);
        await Eventually.TrueAsync(() => node.StandardOutput.Contains($"clients connect to 127.0.0.1:{Port(proxyPort)}", StringComparison.Ordinal), "the node logs the proxy's streamhost");
    }

    [Theory]
    [InlineData(null, "Socket completions continue on the socket engine threads")]
    [InlineData("--Listeners:InlineCompletions=false", "Socket completions continue on the thread pool")]
    public async Task Run_InlineCompletionsSetting_AppliedBeforeTheFirstSocketAndLogged(string? setting, string logged)
    {
        // Issue #6: the runtime reads the switch once, when its socket engine starts, so `run` sets it from the
        // configuration before the node opens a socket; the node says which mode it runs in.
        var port = RookeryProcess.FreePort();
        string[] args = setting is null ? ["--port", Port(port), "--no-direct-tls"] : ["--port", Port(port), "--no-direct-tls", setting];
        await using var node = StartNode(new Dictionary<string, string> { [SocketCompletionMode.Variable] = setting is null ? "0" : "1" }, args);
        await node.WaitForPortAsync(port, StartTimeout);
        await Eventually.TrueAsync(() => node.StandardOutput.Contains(logged, StringComparison.Ordinal), "the node logs its socket completion mode");

        // The node serves with it: a message between two clients.
        foreach (var user in new[] { "alice", "bob" })
        {
            var add = await RookeryProcess.RunAsync(_folder.Path, ["user", "add", $"{user}@localhost", "--password", "s3cret", "--data", Data]);
            add.ExitCode.Should().Be(0, add.StandardError);
        }

        await using var alice = await RawXmppClient.ConnectAsync("127.0.0.1", port, "localhost");
        await alice.LoginAsync("alice", "s3cret");
        await using var bob = await RawXmppClient.ConnectAsync("127.0.0.1", port, "localhost");
        await bob.LoginAsync("bob", "s3cret");
        await bob.SendAsync("<presence/>");
        await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == bob.Jid!.ToString());
        await alice.SendAsync("<message to='bob@localhost' type='chat' id='i1'><body>inline</body></message>");
        (await bob.WaitForAsync(e => e.Name == "message")).ChildText("body", Ns.Client).Should().Be("inline");
    }

    [Fact]
    public async Task Run_S2sTlsPortSwitch_AcceptsServersOverDirectTls()
    {
        var port = RookeryProcess.FreePort();
        var s2sPort = RookeryProcess.FreePort();
        var s2sTlsPort = RookeryProcess.FreePort();
        // --s2s-tls-port federates (it beats StartNode's --S2S:Enabled=false, as --s2s-port does) and opens the listener.
        await using var node = StartNode("--port", Port(port), "--no-direct-tls", "--s2s-port", Port(s2sPort), "--s2s-tls-port", Port(s2sTlsPort));
        await node.WaitForPortAsync(s2sTlsPort, StartTimeout);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, s2sTlsPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [new SslApplicationProtocol("xmpp-server")],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });

        tls.NegotiatedApplicationProtocol.ToString().Should().Be("xmpp-server", "XEP-0368 §4: the listener speaks xmpp-server");
    }

    private RookeryProcess StartNode(params string[] args) => StartNode(null, args);

    private RookeryProcess StartNode(IDictionary<string, string>? environment, params string[] args) =>
        RookeryProcess.Start(_folder.Path, ["run", "--S2S:Enabled=false", "--Listeners:Http:Enabled=false", "--data", Data, .. args], environment);

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
