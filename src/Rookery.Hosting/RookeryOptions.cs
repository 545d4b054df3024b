using Rookery.Cluster;
using Rookery.Server.Components;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;

namespace Rookery.Hosting;

/// <summary>
/// The whole configuration of a node, bound from the configuration root: the file <c>rookery.json</c>, then
/// environment variables prefixed <c>ROOKERY_</c> (<c>__</c> separates levels), then command-line switches.
/// Every key is documented in docs/configuration.md.
/// </summary>
public sealed class RookeryOptions
{
    /// <summary>Folder for the database, generated certificates and other state. Default <c>data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Virtual hosts, keyed by domain. When none is configured, the node serves <c>localhost</c>.</summary>
    public Dictionary<string, HostOptions> Hosts { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Bare JIDs that administer every host.</summary>
    public List<string> Admins { get; set; } = [];

    /// <summary>Network listeners.</summary>
    public ListenerOptions Listeners { get; set; } = new();

    /// <summary>Storage backend.</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>Stream limits.</summary>
    public StreamLimitOptions Limits { get; set; } = new();

    /// <summary>Authentication.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Offline storage.</summary>
    public OfflineOptions Offline { get; set; } = new();

    /// <summary>Stream management (XEP-0198).</summary>
    public StreamManagementOptions StreamManagement { get; set; } = new();

    /// <summary>In-band registration limits (XEP-0077).</summary>
    public RegistrationOptions Registration { get; set; } = new();

    /// <summary>The idle-client watchdog (XEP-0199).</summary>
    public WatchdogOptions Watchdog { get; set; } = new();

    /// <summary>Web clients over BOSH (XEP-0124/XEP-0206): request hold and session inactivity limits.</summary>
    public BoshOptions Bosh { get; set; } = new();

    /// <summary>Modules turned off on every host, by name; a host adds its own with <c>Hosts:&lt;domain&gt;:DisabledModules</c>.</summary>
    public List<string> DisabledModules { get; set; } = [];

    /// <summary>Settings of the feature modules, one subsection per module (<c>Modules:Disco</c>, <c>Modules:VCard</c>...).</summary>
    public ModulesOptions Modules { get; set; } = new();

    /// <summary>External component domains (XEP-0114), keyed by domain: secret and balancing of each.</summary>
    public Dictionary<string, ComponentDomainOptions> Components { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Server-to-server federation (RFC 6120, XEP-0220): static routes, dialback secret, TLS policy, limits.</summary>
    public S2sOptions S2S { get; set; } = new();

    /// <summary>Console logging.</summary>
    public LoggingOptions Logging { get; set; } = new();

    /// <summary>Clustering: nodes on one PostgreSQL database serving one XMPP domain together (docs/dev/cluster.md).</summary>
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>The server part of the options, as the server core consumes it.</summary>
    public ServerOptions ToServerOptions() => new()
    {
        Hosts = Hosts.Count > 0 ? Hosts : new(StringComparer.OrdinalIgnoreCase) { ["localhost"] = new HostOptions() },
        Admins = Admins,
        Limits = Limits,
        Auth = Auth,
        Offline = Offline,
        StreamManagement = StreamManagement,
        Watchdog = Watchdog,
        Bosh = Bosh,
        Registration = Registration,
        DisabledModules = DisabledModules,
    };

    /// <summary>The component part of the options, as the server core consumes it.</summary>
    public ComponentsOptions ToComponentsOptions() => new() { Domains = Components };
}
