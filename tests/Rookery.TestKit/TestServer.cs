using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rookery.Hosting;
using Rookery.Protocol.Addressing;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Storage;

namespace Rookery.TestKit;

/// <summary>
/// A real Rookery node for a test: its own temporary data folder and SQLite file, listeners on free loopback ports,
/// fast failure delays, and captured logs. Disposing it asserts that nothing was logged at Error unless allowed.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly RookeryNode _node;
    private readonly string _dataDirectory;

    private TestServer(RookeryNode node, string dataDirectory, CapturingLoggerProvider logs)
    {
        _node = node;
        _dataDirectory = dataDirectory;
        Logs = logs;
    }

    /// <summary>The first served domain.</summary>
    public string Domain { get; private set; } = "localhost";

    /// <summary>The STARTTLS client port.</summary>
    public int Port => _node.ClientEndPoint!.Port;

    /// <summary>The direct-TLS port.</summary>
    public int TlsPort => _node.DirectTlsEndPoint!.Port;

    /// <summary>The external component port (XEP-0114); only open when the options list a component domain.</summary>
    public int ComponentPort => _node.ComponentEndPoint?.Port ?? throw new InvalidOperationException("No component domain is configured, so the component listener is closed");

    /// <summary>The server-to-server port (RFC 6120); only open when <c>S2S:Enabled</c> is set.</summary>
    public int S2sPort => _node.ServerEndPoint?.Port ?? throw new InvalidOperationException("Federation (S2S:Enabled) is off, so the server-to-server listener is closed");

    /// <summary>The server-to-server direct-TLS port (XEP-0368); only open when <c>Listeners:ServerDirectTls</c> is enabled.</summary>
    public int S2sDirectTlsPort => _node.ServerDirectTlsEndPoint?.Port ?? throw new InvalidOperationException("The server-to-server direct-TLS listener (Listeners:ServerDirectTls) is off");

    /// <summary>The HTTP port of the web client endpoints (RFC 7395 WebSocket, XEP-0156 host-meta).</summary>
    public int HttpPort => _node.HttpEndPoint?.Port ?? throw new InvalidOperationException("The HTTP listener (Listeners:Http) is off");

    /// <summary>The HTTPS port of the web client endpoints; only open when <c>Listeners:Https</c> is enabled.</summary>
    public int HttpsPort => _node.HttpsEndPoint?.Port ?? throw new InvalidOperationException("The HTTPS listener (Listeners:Https) is off");

    /// <summary>The node's services.</summary>
    public IServiceProvider Services => _node.Services;

    /// <summary>Captured log entries.</summary>
    public CapturingLoggerProvider Logs { get; }

    /// <summary>When true, an Error in the log does not fail the test (for tests that provoke one on purpose).</summary>
    public bool AllowErrors { get; set; }

    /// <summary>
    /// Starts a server of the one host <paramref name="domain"/> that federates: its server-to-server listener on
    /// <paramref name="s2sPort"/> (a fixed port, so that a peer's static route or SRV record can name it) and
    /// <paramref name="s2s"/> as its federation settings; with <paramref name="s2sDirectTlsPort"/> also the
    /// server-to-server direct-TLS listener (XEP-0368) on that port; the other listeners on free ports, HTTP off;
    /// <paramref name="limits"/> replaces the stream limits.
    /// </summary>
    public static Task<TestServer> StartFederatingAsync(string domain, int s2sPort, S2sOptions s2s, int? s2sDirectTlsPort = null, StreamLimitOptions? limits = null) =>
        StartAsync(o =>
        {
            o.Hosts = new Dictionary<string, HostOptions>(StringComparer.OrdinalIgnoreCase) { [domain] = new HostOptions() };
            o.Listeners = new ListenerOptions
            {
                Client = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                DirectTls = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                Component = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                Server = new EndpointOptions { Address = "127.0.0.1", Port = s2sPort },
                ServerDirectTls = new EndpointOptions { Address = "127.0.0.1", Port = s2sDirectTlsPort ?? 0, Enabled = s2sDirectTlsPort is not null },
                Http = new EndpointOptions { Enabled = false },
            };
            o.S2S = s2s;
        }, limits);

    /// <summary>
    /// Starts a node; <paramref name="configure"/> may change the options (hosts, listeners) before start.
    /// <paramref name="limits"/> and <paramref name="auth"/> replace the stream limits and the authentication settings
    /// (init-only on the options, so they cannot be changed inside <paramref name="configure"/>); by default the limits
    /// are the product defaults and authentication uses fast failure delays.
    /// </summary>
    public static async Task<TestServer> StartAsync(Action<RookeryOptions>? configure = null, StreamLimitOptions? limits = null, AuthOptions? auth = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "rookery-test-" + Guid.NewGuid().ToString("N"));
        var options = new RookeryOptions
        {
            DataDirectory = data,
            Listeners = new ListenerOptions
            {
                Client = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                DirectTls = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                Component = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                Server = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                // Web clients' HTTP listener on a free port: many servers run at once on one machine.
                Http = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            },
            // Federation off unless a test asks for it: tests address foreign domains and expect remote-server-not-found
            // at once, not a DNS lookup of a name that does not exist.
            S2S = new S2sOptions { Enabled = false },
            Limits = limits ?? new StreamLimitOptions(),
            Auth = auth ?? new AuthOptions { FailureDelayMilliseconds = 20, MaxFailureDelayMilliseconds = 100, ScramIterations = 4096 },
        };
        configure?.Invoke(options);
        RookeryConfiguration.Validate(options);
        var logs = new CapturingLoggerProvider();
        var node = RookeryNode.Create(options, logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(logs);
            logging.SetMinimumLevel(LogLevel.Debug);
        });
        var server = new TestServer(node, data, logs)
        {
            Domain = options.ToServerOptions().Hosts.Keys.First(),
        };
        await node.StartAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Creates an account on the first domain; returns its bare JID.</summary>
    public async Task<Jid> CreateUserAsync(string user, string password = "secret")
    {
        var jid = Jid.Create(user, Domain);
        var created = await Services.GetRequiredService<AccountService>().CreateAsync(jid, password).ConfigureAwait(false);
        if (!created)
        {
            throw new InvalidOperationException($"{jid} exists already");
        }

        return jid;
    }

    /// <summary>The node's storage.</summary>
    public IStorage Storage => Services.GetRequiredService<IStorage>();

    /// <summary>The node's hosts.</summary>
    public HostRegistry Hosts => Services.GetRequiredService<HostRegistry>();

    /// <summary>Opens a raw client to the STARTTLS port.</summary>
    public Task<RawXmppClient> ConnectAsync() => RawXmppClient.ConnectAsync("127.0.0.1", Port, Domain);

    /// <summary>Opens a raw client to the direct-TLS port (XEP-0368); the TLS handshake is done, nothing else is sent.</summary>
    public Task<RawXmppClient> ConnectDirectTlsAsync() => RawXmppClient.ConnectDirectTlsAsync("127.0.0.1", TlsPort, Domain);

    /// <summary>
    /// Stops the node the way a shutdown does (streams get <c>system-shutdown</c>) while keeping it for inspection;
    /// <see cref="DisposeAsync"/> still cleans up afterwards.
    /// </summary>
    public Task StopAsync() => _node.StopAsync();

    /// <summary>
    /// Opens a client and authenticates it (STARTTLS, SCRAM-SHA-256) without binding a resource, for tests of what
    /// happens between authentication and binding; <see cref="RawXmppClient.Features"/> holds the offered features.
    /// </summary>
    public async Task<RawXmppClient> AuthenticateAsync(string user, string password = "secret")
    {
        var client = await ConnectAsync().ConfigureAwait(false);
        await client.OpenStreamAsync().ConfigureAwait(false);
        await client.StartTlsAsync().ConfigureAwait(false);
        await client.AuthenticateScramAsync(user, password).ConfigureAwait(false);
        return client;
    }

    /// <summary>Opens a client and logs in (STARTTLS, SCRAM-SHA-256, bind, optionally initial presence).</summary>
    public async Task<RawXmppClient> LoginAsync(string user, string password = "secret", string? resource = "test", bool sendPresence = true)
    {
        var client = await ConnectAsync().ConfigureAwait(false);
        await client.LoginAsync(user, password, resource).ConfigureAwait(false);
        if (sendPresence)
        {
            await client.SendAsync("<presence/>").ConfigureAwait(false);
            // Initial presence is reflected to the sender (RFC 6121 §4.2.2): wait for it so the session counts as available.
            await client.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == client.Jid!.ToString() && e.GetAttribute("type") is null).ConfigureAwait(false);
        }

        return client;
    }

    /// <summary>Stops the node and removes its data; fails when the server logged an unexpected error.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _node.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _node.DisposeAsync().ConfigureAwait(false);
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A lingering SQLite handle on a slow machine; the temp folder is harmless.
            }
        }

        var errors = Logs.Errors.ToList();
        if (!AllowErrors && errors.Count > 0)
        {
            throw new InvalidOperationException("The server logged errors:\n" + string.Join("\n", errors.Select(e => $"{e.Category}: {e.Message} {e.Exception}")));
        }
    }
}
