using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Rookery.Cluster.Membership;

namespace Rookery.Cluster;

/// <summary>
/// One <c>Cluster:SeedNodes</c> entry: a static link address (<c>host:port</c>, IPv6 in brackets), optionally named for one
/// node (<c>name=host:port</c>). Seeds never make a node a member — the PostgreSQL registry alone says who is alive — they
/// only say where a registry peer can be dialled when its advertised address is not the right one from here (NAT,
/// split networks, a private cluster network).
/// </summary>
public sealed record SeedNode(string? NodeName, string Host, int Port)
{
    /// <summary>Parses <c>host:port</c> or <c>name=host:port</c>; false when the entry is malformed.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out SeedNode? seed)
    {
        seed = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        string? name = null;
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals >= 0)
        {
            name = text[..equals].Trim();
            text = text[(equals + 1)..].Trim();
            if (name.Length == 0)
            {
                return false;
            }
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            // An IPv6 address needs brackets, or its last group would read as the port.
            return false;
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            return false;
        }

        seed = new SeedNode(name, host, port);
        return true;
    }

    /// <summary>
    /// Where to dial <paramref name="peer"/>, in order: the seed entries named for it, then the address it advertises
    /// in the registry, then the unnamed seed entries. The peer's HELLO carries its node id, so an address that leads
    /// to another node is refused, never linked under the wrong id.
    /// </summary>
    public static IReadOnlyList<(string Host, int Port)> DialOrder(NodeRecord peer, IReadOnlyList<SeedNode> seeds)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(seeds);
        var order = new List<(string Host, int Port)>();
        foreach (var seed in seeds)
        {
            if (seed.NodeName is not null && string.Equals(seed.NodeName, peer.Name, StringComparison.Ordinal))
            {
                Add(order, seed.Host, seed.Port);
            }
        }

        Add(order, peer.Host, peer.ClusterPort);
        foreach (var seed in seeds)
        {
            if (seed.NodeName is null)
            {
                Add(order, seed.Host, seed.Port);
            }
        }

        return order;
    }

    private static void Add(List<(string Host, int Port)> order, string host, int port)
    {
        if (!order.Contains((host, port)))
        {
            order.Add((host, port));
        }
    }
}
