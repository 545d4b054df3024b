using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Modules.Mam;
using Rookery.Protocol.Addressing;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Storage;

namespace Rookery.Modules.Muc;

/// <summary>
/// Runs a MUC service in process for every host where the <c>muc</c> module is on: builds it on
/// <c>conference.&lt;host&gt;</c> (or the configured name), reloads its persistent rooms, and registers its domain in
/// the <see cref="RouteTable"/>; unregisters it on stop.
/// </summary>
public sealed partial class MucServiceHost(
    IOptions<MucOptions> options,
    IOptions<MamOptions> mamOptions,
    HostRegistry hosts,
    ModuleRegistry modules,
    RouteTable routes,
    Router router,
    IMucStore store,
    IMessageArchiveStore archive,
    TimeProvider time,
    ILoggerFactory loggers,
    IMucRoomDirectory? directory = null,
    IMucClusterStore? clusterStore = null,
    MamArchiveWriter? archiveWriter = null) : IHostedService
{
    private readonly List<(string Domain, MucRoute Route)> _registered = [];

    /// <summary>The services started, by service domain (tests reach rooms through them).</summary>
    public IReadOnlyDictionary<string, MucService> Services => _registered.ToDictionary(r => r.Domain, r => r.Route.Service, StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var logger = loggers.CreateLogger<MucService>();
        var hostLogger = loggers.CreateLogger<MucServiceHost>();
        foreach (var host in hosts.Domains)
        {
            if (!modules.IsEnabled(MucModule.ModuleName, host))
            {
                continue;
            }

            var domain = Jid.Create(null, o.ServiceFor(host));
            if (routes.IsRegistered(domain.Domain))
            {
                throw new InvalidOperationException($"Configuration key 'Modules:Muc': the MUC service domain {domain} of {host} is already served by something else");
            }

            var host1 = host;
            var service = new MucService(
                domain,
                o,
                new RouterStanzaSink(router),
                store,
                archive,
                mamOptions.Value,
                jid => hosts.IsAdmin(jid, host1),
                jid => o.RoomCreation switch
                {
                    MucRoomCreation.Anyone => true,
                    MucRoomCreation.Admins => hosts.IsAdmin(jid, host1),
                    _ => jid.Local is not null && hosts.IsLocal(jid.Domain),
                },
                time,
                logger,
                archiveWriter);
            if (directory is not null && clusterStore is not null)
            {
                // On a cluster each room lives on one node, claimed in storage (docs/dev/muc.md "Rooms on a cluster").
                service.UseCluster(directory, clusterStore);
            }

            await service.LoadAsync(cancellationToken);
            var route = new MucRoute(service, directory);
            routes.Register(domain.Domain, route);
            _registered.Add((domain.Domain, route));
            Log.ServiceStarted(hostLogger, domain, host);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var (domain, route) in _registered)
        {
            routes.Unregister(domain, route);
        }

        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4510, Level = LogLevel.Information, Message = "MUC service {Service} of {Host} started")]
        public static partial void ServiceStarted(ILogger logger, Jid service, string host);
    }
}
