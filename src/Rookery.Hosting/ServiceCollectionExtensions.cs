using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Cluster;
using Rookery.Modules;
using Rookery.Modules.HttpUpload;
using Rookery.Modules.Muc;
using Rookery.Server.Auth;
using Rookery.Server.Components;
using Rookery.Server.Hosts;
using Rookery.Server.Im;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Streams;
using Rookery.Server.Transport;
using Rookery.Storage;
using Rookery.Storage.Postgres;
using Rookery.Storage.Sqlite;

namespace Rookery.Hosting;

/// <summary>Registers the server core, its modules and the configured storage backend.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Adds everything a node runs, from already validated options.</summary>
    public static IServiceCollection AddRookery(this IServiceCollection services, RookeryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        services.AddSingleton(options);
        services.AddSingleton(Options.Create(options.ToServerOptions()));
        services.AddSingleton(TimeProvider.System);

        services.AddSingleton<IStorage>(_ => CreateStorage(options, dataDirectory));
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Accounts);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Rosters);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Offline);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().UserData);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().LastActivity);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Archive);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().BlockLists);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Pubsub);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().PubsubService);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Muc);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().MucCluster);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Caps);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().Push);
        services.AddSingleton(sp => sp.GetRequiredService<IStorage>().FastTokens);

        services.AddSingleton<HostRegistry>();
        services.AddSingleton<RouteTable>();
        services.AddSingleton<Router>();
        services.AddSingleton<LocalRouter>();
        services.AddSingleton(Options.Create(options.S2S));
        // XEP-0185: on a cluster every node derives the same dialback secret, so any node answers db:verify.
        services.AddSingleton(new DialbackKeys(DialbackKeys.ChooseSecret(options.S2S.DialbackSecret, options.Cluster.Enabled ? options.Cluster.Secret : null)));
        services.AddSingleton<S2SManager>();
        services.AddSingleton<S2sConnectionHandler>();
        services.AddSingleton<SessionTable>();
        services.AddSingleton<AccountChanges>();
        services.AddSingleton<SessionManager>();
        services.AddSingleton<SessionLifecycle>();
        services.AddSingleton<RosterManager>();
        services.AddSingleton<SubscriptionManager>();
        services.AddSingleton<PresenceManager>();
        services.AddSingleton<OfflineStorage>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<AnonymousAccounts>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<RegistrationService>();
        services.AddSingleton<ClientConnections>();
        services.AddSingleton<LoginGate>();
        services.AddHostedService<IdleWatchdog>();
        services.AddSingleton(sp => new CertificateStore(
            sp.GetRequiredService<HostRegistry>(), dataDirectory, sp.GetRequiredService<ILogger<CertificateStore>>()));
        services.AddSingleton<C2sServices>();
        services.AddSingleton<Rookery.Server.Web.WebSocketEndpoint>();
        services.AddSingleton<Rookery.Server.Web.BoshEndpoint>();
        services.AddSingleton<C2sConnectionHandler>();
        services.AddSingleton(Options.Create(options.ToComponentsOptions()));
        services.AddSingleton<ComponentRegistry>();
        services.AddSingleton<ComponentConnections>();
        services.AddSingleton<ComponentServices>();
        services.AddSingleton<ComponentConnectionHandler>();
        services.AddHostedService<ComponentConnector>();

        services.AddSingleton<IXmppModule, RosterModule>();
        services.AddSingleton<IXmppModule, StreamManagementModule>();
        services.AddSingleton<IXmppModule, ClientStateIndicationModule>();
        services.AddSingleton<IXmppModule, Sasl2Module>();
        services.AddSingleton<IXmppModule, Bind2Module>();
        services.AddSingleton<IXmppModule, FastModule>();
        services.AddSingleton<IXmppModule, RegisterModule>();
        services.AddSingleton(Options.Create(options.Modules.Disco));
        services.AddSingleton(Options.Create(options.Modules.Version));
        services.AddSingleton(Options.Create(options.Modules.VCard));
        services.AddSingleton(Options.Create(options.Modules.Private));
        services.AddSingleton(Options.Create(options.Modules.Mam));
        services.AddSingleton(Options.Create(options.Modules.Blocking));
        services.AddSingleton(Options.Create(options.Modules.Pep));
        services.AddSingleton(Options.Create(options.Modules.Push));
        services.AddSingleton(Options.Create(options.Modules.Muc));
        services.AddSingleton(Options.Create(options.Modules.HttpUpload));
        services.AddSingleton(Options.Create(options.Modules.ExternalServices));
        services.AddSingleton(Options.Create(options.Modules.Proxy65));
        var proxy65 = new Proxy65Endpoint(options);
        services.AddSingleton(proxy65);
        services.AddSingleton(proxy65.ToListener());
        services.AddSingleton(Options.Create(options.Modules.Pubsub));
        var web = new WebListeners(options.Listeners);
        services.AddSingleton(web);
        services.AddSingleton(new HttpUploadSite(options.Modules.HttpUpload, UploadFolderPath(options.Modules.HttpUpload, dataDirectory), web.Any ? web.BaseUrlFor : null));
        // On a cluster every node derives the same key, so a slot handed out by one node is accepted by all (XEP-0363).
        services.AddSingleton(new UploadSignatures(options.Cluster.Enabled ? options.Cluster.Secret : null));
        services.AddRookeryModules();
        services.AddRookeryMuc();
        services.AddSingleton<ModuleRegistry>();
        if (options.Cluster.Enabled)
        {
            services.AddSingleton(options.Cluster);
            services.AddSingleton(sp => new ClusterEnvironment(
                options.Storage.Postgres.ConnectionString,
                options.Storage.Postgres.Schema,
                options.Listeners.Client.Port,
                typeof(ServiceCollectionExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
            {
                ClearStoragePool = sp.GetRequiredService<IStorage>() is IPooledStorage pooled ? pooled.ClearPool : null,
            });
            services.AddSingleton<ClusterNode>();
            // MUC rooms live on one node each, taken over when it dies (issue #7, docs/dev/muc.md).
            services.AddSingleton<Rookery.Cluster.Muc.ClusterMucDirectory>();
            services.AddSingleton<IMucRoomDirectory>(sp => sp.GetRequiredService<Rookery.Cluster.Muc.ClusterMucDirectory>());
        }

        return services;
    }

    /// <summary>The upload folder: <c>Modules:HttpUpload:Folder</c>, relative to the data directory, or <c>&lt;DataDirectory&gt;/upload</c>.</summary>
    private static string UploadFolderPath(HttpUploadOptions options, string dataDirectory) =>
        string.IsNullOrWhiteSpace(options.Folder) ? Path.Combine(dataDirectory, "upload") : Path.GetFullPath(options.Folder, dataDirectory);

    /// <summary>The configured backend; <see cref="RookeryConfiguration.Validate"/> has checked the provider name and its settings.</summary>
    private static IStorage CreateStorage(RookeryOptions options, string dataDirectory)
    {
        if (RookeryConfiguration.IsPostgres(options.Storage))
        {
            return new PostgresStorage(new PostgresStorageOptions
            {
                ConnectionString = options.Storage.Postgres.ConnectionString,
                Schema = options.Storage.Postgres.Schema,
            });
        }

        var path = options.Storage.Sqlite.Path;
        if (!Path.IsPathRooted(path))
        {
            path = Path.Combine(dataDirectory, path);
        }

        return new SqliteStorage(new SqliteStorageOptions { Path = path });
    }
}
