using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Cluster.Membership;
using Rookery.Hosting;
using Rookery.Protocol.Addressing;
using Rookery.Server.Auth;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Real <c>rookery</c> processes forming a cluster on loopback, on a fresh PostgreSQL schema of their own (dropped at the
/// end), with accounts and rosters prepared through the same services the CLI uses, and clients over real sockets.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const string Domain = "cluster.test";
    public const string Password = "pass-word-1";
    public const string Secret = "a-cluster-secret-for-tests";

    /// <summary>How long a node may take to start and join on a loaded machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The failure timeout the nodes run with.</summary>
    public static readonly TimeSpan FailureTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long stanzas may take to cross nodes on a loaded machine.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Every test node's heartbeat interval.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-cluster-");
    private readonly List<TestNode> _nodes = [];
    private readonly List<RawXmppClient> _clients = [];
    private ServiceProvider? _services;

    public TestCluster()
    {
        ConnectionString = PostgresTestDatabase.RequireAvailable();
        Registry = new ClusterRegistry(ConnectionString, Schema);
    }

    public string Schema { get; } = PostgresTestDatabase.NewSchemaName();

    public string ConnectionString { get; }

    public ClusterRegistry Registry { get; }

    public IReadOnlyList<TestNode> Nodes => _nodes;

    /// <summary>The storage of the cluster (the same schema the nodes use), migrated.</summary>
    public async Task<IServiceProvider> ServicesAsync()
    {
        if (_services is null)
        {
            var options = RookeryConfiguration.Bind(RookeryConfiguration.Build(WriteConfig("setup", 0, 0, Secret, enabled: false)));
            _services = new ServiceCollection().AddLogging().AddRookery(options).BuildServiceProvider();
            await _services.GetRequiredService<IStorage>().MigrateAsync();
        }

        return _services;
    }

    public async Task CreateUsersAsync(params string[] users)
    {
        var accounts = (await ServicesAsync()).GetRequiredService<AccountService>();
        foreach (var user in users)
        {
            (await accounts.CreateAsync(Jid.Parse($"{user}@{Domain}"), Password)).Should().BeTrue();
        }
    }

    /// <summary>Makes two users contacts with a 'both' subscription.</summary>
    public async Task BefriendAsync(string a, string b)
    {
        var rosters = (await ServicesAsync()).GetRequiredService<IRosterStore>();
        await rosters.SetItemAsync($"{a}@{Domain}", new RosterItem($"{b}@{Domain}", b, Subscription.Both, false, []));
        await rosters.SetItemAsync($"{b}@{Domain}", new RosterItem($"{a}@{Domain}", a, Subscription.Both, false, []));
    }

    public async Task<int> OfflineCountAsync(string user) =>
        await (await ServicesAsync()).GetRequiredService<IOfflineStore>().CountAsync($"{user}@{Domain}");

    public async Task<IReadOnlyList<StoredOfflineMessage>> OfflineAsync(string user) =>
        await (await ServicesAsync()).GetRequiredService<IOfflineStore>().PeekAsync($"{user}@{Domain}");

    /// <summary>
    /// Starts a node and waits until it serves clients; <paramref name="cluster"/> adds or replaces <c>Cluster</c> keys
    /// for this node (e.g. <c>Tls</c>, <c>SeedNodes</c>); <paramref name="connectionString"/> replaces the node's
    /// database connection string (e.g. through a <see cref="TcpProxy"/>), same database and schema;
    /// <paramref name="configure"/> adds sections to the node's configuration (for example listeners and components).
    /// </summary>
    public async Task<TestNode> StartNodeAsync(string name, string secret = Secret, int? clusterPort = null, IReadOnlyDictionary<string, object?>? cluster = null, string? connectionString = null, Action<JsonObject>? configure = null)
    {
        var clientPort = RookeryProcess.FreePort();
        var linkPort = clusterPort ?? RookeryProcess.FreePort();
        var config = WriteConfig(name, clientPort, linkPort, secret, enabled: true, cluster, connectionString, configure);
        var process = RookeryProcess.Start(Path.GetDirectoryName(config)!, ["run", "--config", config]);
        var node = new TestNode(name, clientPort, linkPort, config, process);
        _nodes.Add(node);
        await process.WaitForPortAsync(clientPort, StartTimeout);
        return node;
    }

    /// <summary>Starts nodes one after the other (in id order) and waits until every pair is linked.</summary>
    public async Task<TestNode[]> StartNodesAsync(params string[] names)
    {
        var started = new List<TestNode>();
        foreach (var name in names)
        {
            started.Add(await StartNodeAsync(name));
        }

        await WaitForLinksAsync(names);
        return [.. started];
    }

    /// <summary>
    /// Starts node-a and node-b with <paramref name="admin"/> (a local part of <see cref="Domain"/>) as the host's admin,
    /// for the XEP-0133 commands, and waits for their link.
    /// </summary>
    public async Task<(TestNode A, TestNode B)> StartTwoNodesWithAdminAsync(string admin)
    {
        void Admins(JsonObject json) => json["Admins"] = new JsonArray(admin + "@" + Domain);
        var a = await StartNodeAsync("node-a", configure: Admins);
        var b = await StartNodeAsync("node-b", configure: Admins);
        await WaitForLinksAsync("node-a", "node-b");
        return (a, b);
    }

    /// <summary>Waits until the registry shows exactly these nodes alive, each reporting its links to all the others up.</summary>
    public async Task WaitForLinksAsync(params string[] names)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        IReadOnlyList<NodeRecord> nodes = [];
        while (DateTime.UtcNow < deadline)
        {
            nodes = await Registry.ListAsync(TimeSpan.Zero);
            var alive = nodes.Where(n => n.State == NodeStates.Alive).ToList();
            if (alive.Count == names.Length && alive.All(n => names.Contains(n.Name)) &&
                alive.All(n => names.Where(o => o != n.Name).All(o => n.Links.Contains(o + "=up", StringComparison.Ordinal))))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The cluster did not link up: " + string.Join("; ", nodes.Select(n => $"{n.Name} {n.State} [{n.Links}]")) + Logs());
    }

    /// <summary>Logs in, sends initial presence and waits for its echo (so the session is available everywhere it matters).</summary>
    public async Task<RawXmppClient> LoginAsync(TestNode node, string user, string resource, bool available = true, int priority = 0)
    {
        var client = await RawXmppClient.ConnectAsync("127.0.0.1", node.ClientPort, Domain);
        _clients.Add(client);
        var jid = await client.LoginAsync(user, Password, resource);
        if (available)
        {
            await client.SendAsync($"<presence><priority>{priority}</priority></presence>");
            await client.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == jid.ToString(), Wait);
        }

        return client;
    }

    /// <summary>Connects and authenticates without binding a resource (to resume a session, XEP-0198 §5).</summary>
    public async Task<RawXmppClient> AuthenticateAsync(TestNode node, string user)
    {
        var client = await RawXmppClient.ConnectAsync("127.0.0.1", node.ClientPort, Domain);
        _clients.Add(client);
        await client.OpenStreamAsync();
        await client.StartTlsAsync();
        await client.AuthenticateScramAsync(user, Password);
        return client;
    }

    /// <summary>Runs a test body; a failure carries every node's output.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(e.GetType().Name + ": " + e.Message + "\n" + e.StackTrace + Logs(), e);
        }
    }

    /// <summary>Every node's output so far, for failure messages.</summary>
    public string Logs() =>
        string.Concat(_nodes.Select(n => $"\n--- {n.Name} stdout:\n{n.Process.StandardOutput}\n--- {n.Name} stderr:\n{n.Process.StandardError}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Abort();
        }

        foreach (var node in _nodes)
        {
            await node.Process.DisposeAsync();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await Registry.DisposeAsync();
        await PostgresTestDatabase.DropSchemaAsync(Schema);
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A folder of this cluster's temporary files (test certificates and the like), removed at the end.</summary>
    public string Folder => _root.FullName;

    private string WriteConfig(string name, int clientPort, int linkPort, string secret, bool enabled, IReadOnlyDictionary<string, object?>? extra = null, string? connectionString = null, Action<JsonObject>? configure = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root.FullName, name));
        var config = new
        {
            DataDirectory = Path.Combine(folder.FullName, "data"),
            Hosts = new Dictionary<string, object> { [Domain] = new { } },
            Listeners = new
            {
                Client = new { Address = "127.0.0.1", Port = clientPort },
                DirectTls = new { Enabled = false },
                Http = new { Enabled = false },
            },
            Storage = new
            {
                Provider = "postgres",
                Postgres = new { ConnectionString = connectionString ?? ConnectionString, Schema },
            },
            Auth = new { FailureDelayMilliseconds = 0 },
            // Several nodes on one machine: no federation listener on 5269 unless a test configures one.
            S2S = new { Enabled = false },
            Cluster = ClusterSection(),
        };
        Dictionary<string, object?> ClusterSection()
        {
            var section = new Dictionary<string, object?>
            {
                ["Enabled"] = enabled,
                ["Secret"] = secret,
                ["Port"] = linkPort,
                ["Address"] = "127.0.0.1",
                ["AdvertisedAddress"] = "127.0.0.1",
                ["NodeName"] = name,
                ["HeartbeatInterval"] = HeartbeatInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                ["FailureTimeout"] = FailureTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                ["MaxTaskTime"] = "00:00:10",
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, object?>())
            {
                section[key] = value;
            }

            return section;
        }

        var path = Path.Combine(folder.FullName, "rookery.json");
        var json = JsonSerializer.SerializeToNode(config)!.AsObject();
        configure?.Invoke(json);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
