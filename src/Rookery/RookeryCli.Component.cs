using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rookery.Components;
using Rookery.Hosting;
using Rookery.Modules.Muc;
using Rookery.Protocol.Addressing;
using Rookery.Storage;

namespace Rookery.Cli;

/// <content>
/// <c>rookery component</c>: runs a service as an external component (XEP-0114) that connects to the cluster's nodes
/// and fails over between them (issue #5; Tigase's external component clusters, seed 003).
/// </content>
internal static partial class RookeryCli
{
    /// <summary>The environment variable that may carry the secret, so that it need not appear in the process list.</summary>
    private const string SecretVariable = "ROOKERY_COMPONENT_SECRET";

    /// <summary>The services <c>--service</c> can name; a service project registers itself here.</summary>
    private static readonly ComponentServiceCatalog Services = ComponentServiceCatalog.CreateDefault();

    /// <summary>Every name <c>--service</c> accepts: the catalog's, and <c>muc</c>, which needs the storage of <c>--config</c>/<c>--data</c>.</summary>
    private static string ServiceNames => string.Join(", ", Services.Names.Append(MucComponentService.ServiceName).Order(StringComparer.Ordinal));

    private static Command BuildComponentCommand(NodeOptions node)
    {
        var domain = new Option<string>("--domain") { Description = "The component domain, for example conference.example.com.", Required = true };
        var connect = new Option<string[]>("--connect")
        {
            Description = "Nodes' component listeners, host:port, comma-separated or repeated; tried in order, failing over when one drops.",
            AllowMultipleArgumentsPerToken = true,
        };
        var listen = new Option<string?>("--listen")
        {
            Description = "Instead of --connect: listen on host:port and let the nodes dial in (their Components:<domain>:Connect, XEP-0114 jabber:component:connect).",
        };
        var secret = new Option<string?>("--secret") { Description = $"The shared secret configured for the domain on the nodes (or the {SecretVariable} environment variable)." };
        var service = new Option<string>("--service")
        {
            Description = $"The service to run: {ServiceNames}. muc keeps its rooms in the storage of --config (Storage section) or --data (SQLite).",
            DefaultValueFactory = _ => "echo",
        };
        var name = new Option<string?>("--name") { Description = "This instance's name in logs and echo replies. Default: host name and process id." };

        var command = new Command("component", "Run a service as an external component (XEP-0114) of the cluster until SIGTERM or Ctrl+C.")
        {
            domain, connect, listen, secret, service, name,
        };
        node.AddCommon(command);
        command.SetAction((parse, _) => Guard(async () =>
        {
            var domainText = parse.GetValue(domain)!;
            if (!Jid.TryParse(domainText, out var domainJid) || !domainJid.IsDomain || !domainJid.IsBare)
            {
                throw new CliException($"'{domainText}' is not a domain name");
            }

            var endpoints = new List<ComponentEndpoint>();
            foreach (var part in parse.GetValue(connect) ?? [])
            {
                endpoints.AddRange(ComponentEndpoint.ParseList(part));
            }

            ComponentEndpoint? listenAt = null;
            if (parse.GetValue(listen) is { } listenText)
            {
                listenAt = ComponentEndpoint.Parse(listenText);
                if (endpoints.Count > 0)
                {
                    throw new CliException("Give either --connect (the component dials the nodes) or --listen (the nodes dial the component), not both");
                }
            }
            else if (endpoints.Count == 0)
            {
                throw new CliException("--connect needs at least one host:port (or use --listen host:port)");
            }

            var key = parse.GetValue(secret) ?? Environment.GetEnvironmentVariable(SecretVariable);
            if (string.IsNullOrEmpty(key))
            {
                throw new CliException($"A secret is required (--secret, or the {SecretVariable} environment variable)");
            }

            var options = new ComponentClientOptions
            {
                Domain = domainJid.Domain,
                Secret = key,
                Endpoints = endpoints,
                Listen = listenAt,
                InstanceName = parse.GetValue(name) is { Length: > 0 } n ? n : $"{Environment.MachineName}:{Environment.ProcessId}",
            };
            var serviceName = parse.GetValue(service)!;
            if (string.Equals(serviceName, MucComponentService.ServiceName, StringComparison.OrdinalIgnoreCase))
            {
                // MUC rooms live in storage: the same Storage section (or --data folder) a node uses, migrated here.
                var rookery = node.Load(parse);
                await using var provider = new ServiceCollection().AddLogging().AddRookery(rookery).BuildServiceProvider();
                await provider.MigrateStorageAsync().ConfigureAwait(false);
                var storage = provider.GetRequiredService<IStorage>();
                return await RunComponentAsync(options, loggers => MucComponentService.Create(
                    options, rookery.Modules.Muc, storage.Muc, storage.Archive, rookery.Modules.Mam, loggers.CreateLogger("Rookery.Component.Muc"))).ConfigureAwait(false);
            }

            var instance = Services.Create(serviceName, options)
                ?? throw new CliException($"'{serviceName}' is not a component service (known: {ServiceNames})");
            return await RunComponentAsync(options, _ => instance).ConfigureAwait(false);
        }));
        return command;
    }

    private static async Task<int> RunComponentAsync(ComponentClientOptions options, Func<ILoggerFactory, IComponentService> createService)
    {
        using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));
        using var stop = new CancellationTokenSource();
        // SIGTERM and Ctrl+C end the component cleanly (its stream is closed, so the node re-balances at once).
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var client = new ComponentClient(options, createService(loggers), loggers.CreateLogger("Rookery.Component"));
        try
        {
            await client.RunAsync(stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (ComponentAuthenticationException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return 2;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
