using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Cluster;
using Rookery.Modules.Proxy65;
using Rookery.Server.Components;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Transport;
using Rookery.Server.Transport.Sockets;
using Rookery.Storage;

namespace Rookery.Hosting;

/// <summary>
/// One running Rookery node: the composition root that wires configuration, storage, the routing modules and the
/// Kestrel listeners, and shuts streams down cleanly (<c>system-shutdown</c>) before the process exits.
/// </summary>
public sealed partial class RookeryNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions? _client;
    private readonly ListenOptions? _directTls;
    private readonly Func<ListenOptions?> _component;
    private readonly Func<ListenOptions?> _server;
    private readonly Func<ListenOptions?> _serverDirectTls;
    private readonly Func<ListenOptions?> _http;
    private readonly Func<ListenOptions?> _https;
    private readonly Func<ListenOptions?> _proxy65;

    private RookeryNode(WebApplication app, ListenOptions? client, ListenOptions? directTls, Func<ListenOptions?> component, Func<ListenOptions?> server, Func<ListenOptions?> serverDirectTls, Func<ListenOptions?> http, Func<ListenOptions?> https, Func<ListenOptions?> proxy65)
    {
        _proxy65 = proxy65;
        _serverDirectTls = serverDirectTls;
        _http = http;
        _https = https;
        _app = app;
        _client = client;
        _directTls = directTls;
        _component = component;
        _server = server;
    }

    /// <summary>The node's services (tests use them to reach the stores and the session table).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The bound client (STARTTLS) endpoint, once started.</summary>
    public IPEndPoint? ClientEndPoint => _client?.IPEndPoint;

    /// <summary>The bound direct-TLS endpoint, once started.</summary>
    public IPEndPoint? DirectTlsEndPoint => _directTls?.IPEndPoint;

    /// <summary>The bound external component endpoint (XEP-0114), once started; null when no component domain is configured.</summary>
    public IPEndPoint? ComponentEndPoint => _component()?.IPEndPoint;

    /// <summary>The bound server-to-server endpoint, once started; null when federation (<c>S2S:Enabled</c>) is off.</summary>
    public IPEndPoint? ServerEndPoint => _server()?.IPEndPoint;

    /// <summary>
    /// The bound server-to-server direct-TLS endpoint (XEP-0368), once started; null unless
    /// <c>Listeners:ServerDirectTls</c> and federation are enabled.
    /// </summary>
    public IPEndPoint? ServerDirectTlsEndPoint => _serverDirectTls()?.IPEndPoint;

    /// <summary>The bound HTTP endpoint for web clients (RFC 7395 WebSocket, XEP-0156), once started; null when off.</summary>
    public IPEndPoint? HttpEndPoint => _http()?.IPEndPoint;

    /// <summary>The bound HTTPS endpoint for web clients, once started; null when off.</summary>
    public IPEndPoint? HttpsEndPoint => _https()?.IPEndPoint;

    /// <summary>
    /// The bound SOCKS5 endpoint of the bytestreams proxy (XEP-0065), once started; null unless <c>Listeners:Proxy65</c> is
    /// enabled and the <c>proxy65</c> module is on for some host.
    /// </summary>
    public IPEndPoint? Proxy65EndPoint => _proxy65()?.IPEndPoint;

    /// <summary>Builds a node from validated options; <paramref name="configureLogging"/> lets tests capture logs.</summary>
    public static RookeryNode Create(RookeryOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging, options.Logging);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddRookery(options);
        builder.Services.AddHostedService<StreamShutdownService>();
        if (options.Cluster.Enabled)
        {
            // After the stream shutdown service: the host stops services in reverse order, so SIGTERM drains first.
            builder.Services.AddHostedService<ClusterShutdownService>();
        }

        ListenOptions? client = null, directTls = null, component = null, server = null, serverDirectTls = null, http = null, https = null, proxy65 = null;
        // Rookery's own transport behind Kestrel's IConnectionListenerFactory (Kestrel binds with the factory registered
        // last): a stream reads and writes its socket directly, with a zero-byte receive while idle, instead of Kestrel's
        // socket transport with two pipes and a receive and a send loop per connection (issue #6, docs/benchmarks.md
        // "Idle memory (perf-idle2 branch)"). As with Kestrel's transport without UnsafePreferInlineScheduling, socket
        // completions continue on the thread pool, not on the few I/O threads: Microsoft.Data.Sqlite completes its
        // "async" calls synchronously, so one stream's storage write must not stall every connection of an I/O thread.
        builder.Services.AddSingleton<IConnectionListenerFactory, LeanSocketTransportFactory>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var listeners = options.Listeners;
            if (listeners.Client.Enabled)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.Client.Address)!, listeners.Client.Port, lo =>
                {
                    client = lo;
                    lo.UseConnectionHandler<C2sConnectionHandler>();
                });
            }

            if (listeners.DirectTls.Enabled)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.DirectTls.Address)!, listeners.DirectTls.Port, lo =>
                {
                    directTls = lo;
                    StartsWithTls(lo);
                    lo.UseConnectionHandler<C2sConnectionHandler>();
                });
            }

            // XEP-0114 accept mode: only a node that accepts some component domain listens for components.
            if (listeners.Component.Enabled && options.Components.Count > 0)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.Component.Address)!, listeners.Component.Port, lo =>
                {
                    component = lo;
                    lo.UseConnectionHandler<ComponentConnectionHandler>();
                });
            }

            // RFC 6120 server-to-server streams: only a node that federates listens for peers.
            if (listeners.Server.Enabled && options.S2S.Enabled)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.Server.Address)!, listeners.Server.Port, lo =>
                {
                    server = lo;
                    lo.UseConnectionHandler<S2sConnectionHandler>();
                });
            }

            // XEP-0368 for servers: TLS before any XML, for peers that found this server by an _xmpps-server record.
            if (listeners.ServerDirectTls.Enabled && options.S2S.Enabled)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.ServerDirectTls.Address)!, listeners.ServerDirectTls.Port, lo =>
                {
                    serverDirectTls = lo;
                    StartsWithTls(lo);
                    lo.UseConnectionHandler<S2sConnectionHandler>();
                });
            }

            // Web clients: XMPP over WebSocket (RFC 7395) and XEP-0156 discovery, on plain HTTP and optionally HTTPS.
            if (listeners.Http.Enabled)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.Http.Address)!, listeners.Http.Port, lo =>
                {
                    http = lo;
                    lo.Protocols = HttpProtocols.Http1;
                });
            }

            if (listeners.Https.Enabled)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.Https.Address)!, listeners.Https.Port, lo =>
                {
                    https = lo;
                    lo.Protocols = HttpProtocols.Http1;
                    WebEndpoints.UseHostCertificates(lo);
                });
            }

            // XEP-0065 mediated bytestreams: raw SOCKS5, relayed by this node once the requester activates the stream.
            if (new Proxy65Endpoint(options).IsOpen)
            {
                kestrel.Listen(RookeryConfiguration.ParseAddress(listeners.Proxy65.Address)!, listeners.Proxy65.Port, lo =>
                {
                    proxy65 = lo;
                    lo.UseConnectionHandler<Proxy65ConnectionHandler>();
                });
            }
        });

        var app = builder.Build();
        var web = app.Services.GetRequiredService<WebListeners>();
        web.Http = () => http;
        web.Https = () => https;
        app.Services.GetRequiredService<Proxy65Endpoint>().Bound = () => proxy65;
        if (http is not null || https is not null)
        {
            WebEndpoints.Map(app);
        }

        return new RookeryNode(app, client, directTls, () => component, () => server, () => serverDirectTls, () => http, () => https, () => proxy65);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LoggingOptions options)
    {
        logging.ClearProviders();
        if (options.Format == "json")
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        foreach (var (category, level) in options.LogLevel)
        {
            if (category.Equals("Default", StringComparison.OrdinalIgnoreCase))
            {
                logging.SetMinimumLevel(level);
            }
            else
            {
                logging.AddFilter(category, level);
            }
        }
    }

    /// <summary>
    /// Prepares storage (migrations), certificates and the route table, then opens the listeners. A failure here
    /// (bad certificate, unusable database, port in use) stops the start with its reason.
    /// </summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        var services = _app.Services;
        var modules = services.GetRequiredService<ModuleRegistry>();
        if (modules.FindUnknownDisabledModule(services.GetRequiredService<IOptions<ServerOptions>>()) is { } unknown)
        {
            throw new ConfigurationException($"Configuration key {unknown} is not a module (known: {string.Join(", ", modules.ModuleNames)})");
        }

        await services.MigrateStorageAsync(ct).ConfigureAwait(false);
        LoadCertificates(services);
        var routes = services.GetRequiredService<RouteTable>();
        var local = services.GetRequiredService<LocalRouter>();
        foreach (var domain in services.GetRequiredService<HostRegistry>().Domains)
        {
            routes.Register(domain, local);
        }

        services.GetRequiredService<ComponentRegistry>().RegisterRoutes(routes);
        routes.Fallback = services.GetRequiredService<S2SManager>();
        if (services.GetService<ClusterNode>() is { } cluster)
        {
            // Joined (registered, linked, session table replicating) before the first client can log in.
            await cluster.StartAsync(ct).ConfigureAwait(false);
        }

        await _app.StartAsync(ct).ConfigureAwait(false);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<RookeryNode>();
        if (SocketCompletionMode.IsInline)
        {
            Log.SocketCompletionsInline(logger);
        }
        else
        {
            Log.SocketCompletionsOnPool(logger);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5340, Level = LogLevel.Information, Message = "Socket completions continue on the socket engine threads (Listeners:InlineCompletions)")]
        public static partial void SocketCompletionsInline(ILogger logger);

        [LoggerMessage(EventId = 5341, Level = LogLevel.Information, Message = "Socket completions continue on the thread pool (Listeners:InlineCompletions is off)")]
        public static partial void SocketCompletionsOnPool(ILogger logger);
    }

    /// <summary>Marks a listener's connections as direct TLS (XEP-0368): the stream's TLS starts before any XML.</summary>
    private static void StartsWithTls(ListenOptions listener) =>
        listener.Use(next => connection =>
        {
            connection.Features.Set(DirectTlsFeature.Instance);
            return next(connection);
        });

    /// <summary>Loads (or generates) every host's certificate; a file that cannot be used names its host and key.</summary>
    private static void LoadCertificates(IServiceProvider services)
    {
        var certificates = services.GetRequiredService<CertificateStore>();
        var hosts = services.GetRequiredService<HostRegistry>();
        foreach (var domain in hosts.Domains)
        {
            try
            {
                certificates.Get(domain);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                var key = string.IsNullOrEmpty(hosts.Find(domain)?.CertificatePath)
                    ? "DataDirectory"
                    : $"Hosts:{domain}:CertificatePath";
                throw new ConfigurationException($"Configuration key '{key}': the certificate of {domain} cannot be used: {e.Message}", e);
            }
        }
    }

    /// <summary>Runs until the process is asked to stop (SIGTERM, Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    /// <summary>Closes every stream with <c>system-shutdown</c>, then stops the listeners.</summary>
    public Task StopAsync(CancellationToken ct = default) => _app.StopAsync(ct);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
