using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Routing;

namespace Rookery.Modules.Proxy65;

/// <summary>
/// Runs a proxy for every host where the <c>proxy65</c> module is on, when the node has a SOCKS5 listener: registers
/// <c>proxy.&lt;host&gt;</c> in this node's <see cref="RouteTable"/> (every node of a cluster does the same, so a client's
/// requests are answered by its own node); unregisters them on stop.
/// </summary>
public sealed partial class Proxy65ServiceHost(
    IOptions<Proxy65Options> options,
    Proxy65Listener listener,
    BytestreamRegistry registry,
    HostRegistry hosts,
    ModuleRegistry modules,
    RouteTable routes,
    Router router,
    ILoggerFactory loggers) : IHostedService
{
    private readonly ServiceDomains<Proxy65Service> _domains = new(routes);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!listener.IsServed)
        {
            return Task.CompletedTask;
        }

        var o = options.Value;
        var logger = loggers.CreateLogger<Proxy65Service>();
        var hostLogger = loggers.CreateLogger<Proxy65ServiceHost>();
        foreach (var host in hosts.Domains)
        {
            if (!modules.IsEnabled(Proxy65Module.ModuleName, host))
            {
                continue;
            }

            var domain = Jid.Create(null, o.ServiceFor(host));
            var service = new Proxy65Service(domain, host, o, listener, registry, hosts, router, logger);
            _domains.Register(service, "Modules:Proxy65:Subdomain", "proxy", host);
            var address = listener.HostFor(host);
            var port = listener.Port;
            Log.ServiceStarted(hostLogger, domain, host, address, port);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _domains.UnregisterAll();
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5500, Level = LogLevel.Information, Message = "SOCKS5 bytestreams proxy {Service} of {Host} started: clients connect to {Address}:{Port}")]
        public static partial void ServiceStarted(ILogger logger, Jid service, string host, string address, int port);
    }
}
