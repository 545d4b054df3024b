using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rookery.Bench.Net;

/// <summary>
/// Keeps the load generator on this machine: every target and source address must be in 127.0.0.0/8 or be ::1.
/// Host names are not resolved (a name could point anywhere); only <c>localhost</c> is accepted, as 127.0.0.1.
/// </summary>
internal static class LoopbackGuard
{
    /// <summary>True for 127.0.0.0/8, ::1 and their IPv4-mapped forms.</summary>
    public static bool IsLoopback(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => address.GetAddressBytes()[0] == 127,
            AddressFamily.InterNetworkV6 => address.Equals(IPAddress.IPv6Loopback),
            _ => false,
        };
    }

    /// <summary>
    /// Parses a comma-separated list of <c>host[:port]</c> (IPv6 as <c>[::1]:port</c> or bare <c>::1</c>); refuses any
    /// address outside the loopback range with a <see cref="BenchUsageException"/>.
    /// </summary>
    public static IReadOnlyList<XmppEndpoint> ParseTargets(string list, int defaultPort)
    {
        ArgumentNullException.ThrowIfNull(list);
        var result = new List<XmppEndpoint>();
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result.Add(ParseTarget(raw, defaultPort));
        }

        if (result.Count == 0)
        {
            throw new BenchUsageException("No target host given");
        }

        return result;
    }

    /// <summary>Parses one <c>host[:port]</c>; see <see cref="ParseTargets"/>.</summary>
    public static XmppEndpoint ParseTarget(string text, int defaultPort)
    {
        ArgumentNullException.ThrowIfNull(text);
        var host = text;
        var port = defaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new BenchUsageException($"'{text}' is not a valid address");
            }

            host = text[1..close];
            if (close + 1 < text.Length)
            {
                port = ParsePort(text, text[(close + 1)..]);
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..colon];
            port = ParsePort(text, text[colon..]);
        }

        if (port is < 1 or > 65535)
        {
            throw new BenchUsageException($"'{text}': port {port} is out of range");
        }

        IPAddress address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address!))
        {
            throw new BenchUsageException($"'{host}' is not an IP address; rookery-bench only targets loopback addresses (127.0.0.0/8, ::1, or 'localhost') and does not resolve host names");
        }

        if (!IsLoopback(address))
        {
            throw new BenchUsageException($"refusing to target {address}: rookery-bench only sends traffic to loopback addresses (127.0.0.0/8 or ::1)");
        }

        return new XmppEndpoint(address, port);
    }

    /// <summary>
    /// The local addresses to bind connections to: <paramref name="count"/> addresses 127.0.0.1, 127.0.0.2, ... for
    /// IPv4 targets (each has its own ephemeral port range), and ::1 alone for IPv6 targets.
    /// </summary>
    public static IReadOnlyList<IPAddress> SourceAddresses(AddressFamily family, int count)
    {
        if (family == AddressFamily.InterNetworkV6)
        {
            return [IPAddress.IPv6Loopback];
        }

        count = Math.Clamp(count, 1, 254);
        var list = new IPAddress[count];
        for (var i = 0; i < count; i++)
        {
            list[i] = new IPAddress(new byte[] { 127, 0, 0, (byte)(i + 1) });
        }

        return list;
    }

    private static int ParsePort(string whole, string colonAndPort)
    {
        if (colonAndPort.Length < 2 || colonAndPort[0] != ':' || !int.TryParse(colonAndPort.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw new BenchUsageException($"'{whole}' is not a valid host:port");
        }

        return port;
    }
}
