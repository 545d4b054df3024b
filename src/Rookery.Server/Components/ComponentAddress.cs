using System.Globalization;

namespace Rookery.Server.Components;

/// <summary>A component's listening address that this node dials in connect mode (<c>host:port</c>, <c>[v6]:port</c>).</summary>
/// <param name="Host">Host name or IP address.</param>
/// <param name="Port">TCP port.</param>
public sealed record ComponentAddress(string Host, int Port)
{
    /// <summary>Parses <c>host:port</c> or <c>[v6addr]:port</c>; the port is required (a component has no standard one to dial).</summary>
    public static bool TryParse(string? text, out ComponentAddress? address)
    {
        address = null;
        var t = text?.Trim() ?? string.Empty;
        string host;
        string port;
        if (t.StartsWith('['))
        {
            var close = t.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= t.Length || t[close + 1] != ':')
            {
                return false;
            }

            host = t[1..close];
            port = t[(close + 2)..];
        }
        else
        {
            var colon = t.LastIndexOf(':');
            if (colon < 0 || t.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return false;
            }

            host = t[..colon];
            port = t[(colon + 1)..];
        }

        if (host.Length == 0 || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            return false;
        }

        address = new ComponentAddress(host, number);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
