using System.Globalization;
using System.Net;

namespace Rookery.Server.Routing;

/// <summary>
/// Server-to-server federation (configuration section <c>S2S</c>, RFC 6120 and XEP-0220 Server Dialback): whether this
/// node federates, static routes to peer servers, the dialback secret, TLS policy and the limits of outgoing streams.
/// </summary>
public sealed class S2sOptions
{
    /// <summary>The port a peer server listens on when no static route names another (RFC 6120 §3.2.2: 5269).</summary>
    public const int DefaultPort = 5269;

    /// <summary>
    /// Whether the node federates: opens the <c>Listeners:Server</c> listener and outgoing streams to foreign domains.
    /// On by default, as on ejabberd and Prosody; off, stanzas for foreign domains are answered with
    /// <c>remote-server-not-found</c>.
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Static routes, keyed by remote domain: <c>host:port</c> (or <c>[ipv6]:port</c>) to connect to instead of
    /// resolving the domain, like ejabberd's and Prosody's static s2s routes (test networks, private peers).
    /// </summary>
    public Dictionary<string, string> Routes { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Name servers for the DNS SRV lookups of peer domains (<c>_xmpp-server._tcp</c>, RFC 6120 §3.2.1), as <c>ip</c>,
    /// <c>ip:port</c> or <c>[ipv6]:port</c>; their answers then give the targets' A/AAAA addresses too. Empty (the
    /// default): the name servers of /etc/resolv.conf for SRV, the operating system's resolver for addresses.
    /// </summary>
    public List<string> DnsServers { get; init; } = [];

    /// <summary>
    /// The secret dialback keys are derived from (XEP-0185). Empty: derived from <c>Cluster:Secret</c> on a cluster (so
    /// every node can answer <c>db:verify</c> for a key another node generated), else random at each start.
    /// </summary>
    public string DialbackSecret { get; init; } = string.Empty;

    /// <summary>Offer STARTTLS on incoming streams and use it on outgoing streams when the peer offers it. Default true.</summary>
    public bool UseTls { get; init; } = true;

    /// <summary>
    /// Refuse an outgoing TLS handshake whose certificate does not validate for the remote domain. Default false: as
    /// ejabberd and Prosody do without a valid certificate, the peer is then authenticated by dialback alone.
    /// </summary>
    public bool RequireValidCertificates { get; init; }

    /// <summary>Seconds an outgoing stream may take from connecting to a verified dialback before its queue bounces. Default 20.</summary>
    public int ConnectTimeoutSeconds { get; init; } = 20;

    /// <summary>Seconds without traffic after which an s2s stream (either direction) is closed. Default 600.</summary>
    public int IdleTimeoutSeconds { get; init; } = 600;

    /// <summary>Most stanzas held for a remote domain while its outgoing stream is being set up; more bounce. Default 1000.</summary>
    public int MaxQueuedStanzas { get; init; } = 1000;

    /// <summary>Why the options cannot be used, starting with the quoted key, or null when they can.</summary>
    public string? Describe()
    {
        if (ConnectTimeoutSeconds < 1)
        {
            return "'S2S:ConnectTimeoutSeconds' must be at least 1";
        }

        if (IdleTimeoutSeconds < 1)
        {
            return "'S2S:IdleTimeoutSeconds' must be at least 1";
        }

        if (MaxQueuedStanzas < 1)
        {
            return "'S2S:MaxQueuedStanzas' must be at least 1";
        }

        foreach (var server in DnsServers)
        {
            if (!Dns.DnsResolver.TryParseServer(server, out _))
            {
                return $"'S2S:DnsServers' must list IP addresses (ip, ip:port or [ipv6]:port), not '{server}'";
            }
        }

        foreach (var (domain, target) in Routes)
        {
            if (!TryParseTarget(target, out _, out _))
            {
                return $"'S2S:Routes:{domain}' must be host:port (or [ipv6]:port), not '{target}'";
            }
        }

        return null;
    }

    /// <summary>Parses <c>host:port</c>, <c>[ipv6]:port</c> or a bare host (port 5269).</summary>
    public static bool TryParseTarget(string? text, out string host, out int port)
    {
        host = string.Empty;
        port = DefaultPort;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(text[1..close], out _))
            {
                return false;
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length == 0)
            {
                return true;
            }

            if (rest[0] != ':')
            {
                return false;
            }

            portText = rest[1..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                host = text;
                return true;
            }

            if (text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                // A bare IPv6 address without brackets: no port.
                host = text;
                return IPAddress.TryParse(text, out _);
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        return host.Length > 0
            && int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is > 0 and <= 65535;
    }
}
