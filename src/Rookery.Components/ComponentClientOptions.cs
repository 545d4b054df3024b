namespace Rookery.Components;

/// <summary>How a component process connects to the cluster: its domain, the shared secret, and the nodes to try in order.</summary>
public sealed class ComponentClientOptions
{
    /// <summary>The component domain, for example <c>conference.example.com</c>.</summary>
    public required string Domain { get; init; }

    /// <summary>The XEP-0114 shared secret configured for the domain on the nodes.</summary>
    public required string Secret { get; init; }

    /// <summary>The nodes' component listeners, tried in order; after a drop the next one is tried first. Empty with <see cref="Listen"/>.</summary>
    public IReadOnlyList<ComponentEndpoint> Endpoints { get; init; } = [];

    /// <summary>
    /// Listening mode (the nodes' connect mode, XEP-0114 <c>jabber:component:connect</c>): the address to listen on; the
    /// nodes dial it and prove the secret. Null (default): dial <see cref="Endpoints"/> instead.
    /// </summary>
    public ComponentEndpoint? Listen { get; init; }

    /// <summary>This instance's name, as services report it (for example in echo replies). Default: host name and process id.</summary>
    public string InstanceName { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Delay before another round over every node once all of them failed; doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of the reconnect delay.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a TCP connect plus handshake may take before the node counts as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
