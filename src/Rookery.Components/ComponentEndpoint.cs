using System.Globalization;

namespace Rookery.Components;

/// <summary>A node's component listener to dial: host name or address and port (XEP-0114 accept mode).</summary>
/// <param name="Host">Host name or IP address.</param>
/// <param name="Port">TCP port, usually 5347.</param>
public sealed record ComponentEndpoint(string Host, int Port)
{
    /// <summary>The conventional component port (XEP-0114 examples, ejabberd and Prosody defaults).</summary>
    public const int DefaultPort = 5347;

    /// <summary>
    /// Parses <c>host:port</c>, <c>host</c> (port 5347) or <c>[v6addr]:port</c>; throws <see cref="FormatException"/>
    /// with a message that names the text.
    /// </summary>
    public static ComponentEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        string host;
        string? port = null;
        if (t.StartsWith('['))
        {
            var close = t.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{text}' is not host:port (unclosed '[')");
            }

            host = t[1..close];
            if (close + 1 < t.Length)
            {
                if (t[close + 1] != ':')
                {
                    throw new FormatException($"'{text}' is not host:port");
                }

                port = t[(close + 2)..];
            }
        }
        else
        {
            var colon = t.LastIndexOf(':');
            host = colon < 0 ? t : t[..colon];
            port = colon < 0 ? null : t[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"'{text}' names no host");
        }

        var number = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            throw new FormatException($"'{text}': '{port}' is not a TCP port number (1-65535)");
        }

        return new ComponentEndpoint(host, number);
    }

    /// <summary>Parses a comma-separated list (<c>nodeA:5347,nodeB:5347</c>).</summary>
    public static IReadOnlyList<ComponentEndpoint> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<ComponentEndpoint>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(Parse(part));
        }

        return list.Count > 0 ? list : throw new FormatException("no node address given (host:port,host:port...)");
    }

    /// <inheritdoc />
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
