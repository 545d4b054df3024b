using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Server.Components;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// Runs a publish-subscribe service for every host where the <c>pubsub</c> module is on: builds each service on
/// <c>pubsub.&lt;host&gt;</c> (or the configured subdomain) and registers its domain in the <see cref="RouteTable"/>;
/// unregisters them on stop. On a cluster every node runs the same services over the shared storage. A domain configured
/// as an external component's (XEP-0114, such as a pubsub component that ran there before this module existed) is left
/// to the component: explicit configuration wins over a default.
/// </summary>
public sealed partial class PubsubServiceHost(
    IOptions<PubsubOptions> options,
    IPubsubStore nodes,
    IPubsubServiceStore members,
    IRosterStore rosters,
    SessionTable sessions,
    HostRegistry hosts,
    ModuleRegistry modules,
    ComponentRegistry components,
    RouteTable routes,
    Router router,
    TimeProvider time,
    ILoggerFactory loggers) : IHostedService
{
    private readonly ServiceDomains<PubsubService> _domains = new(routes);

    /// <summary>The services started, by service domain.</summary>
    public IReadOnlyDictionary<string, PubsubService> Services => _domains.Services;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var logger = loggers.CreateLogger<PubsubService>();
        var hostLogger = loggers.CreateLogger<PubsubServiceHost>();
        foreach (var host in hosts.Domains)
        {
            if (!modules.IsEnabled(PubsubModule.ModuleName, host))
            {
                continue;
            }

            var domain = Jid.Create(null, o.ServiceFor(host));
            if (components.Find(domain.Domain) is not null)
            {
                Log.LeftToComponent(hostLogger, domain, host);
                continue;
            }

            var service = new PubsubService(domain, host, o, nodes, members, rosters, sessions, hosts, router, time, logger);
            _domains.Register(service, "Modules:Pubsub:Subdomain", "publish-subscribe service", host);
            Log.ServiceStarted(hostLogger, domain, host);
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
        [LoggerMessage(EventId = 5470, Level = LogLevel.Information, Message = "Publish-subscribe service {Service} of {Host} started")]
        public static partial void ServiceStarted(ILogger logger, Jid service, string host);

        [LoggerMessage(EventId = 5476, Level = LogLevel.Information, Message = "Publish-subscribe service {Service} of {Host} not started: the domain is configured as an external component's")]
        public static partial void LeftToComponent(ILogger logger, Jid service, string host);
    }
}
