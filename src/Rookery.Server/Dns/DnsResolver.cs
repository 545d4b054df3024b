using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Rookery.Server.Dns;

/// <summary>
/// A small stub resolver (RFC 1035 §7): asks the configured name servers over UDP, again over TCP when the answer is
/// truncated (§4.2.1, RFC 7766), and caches definite answers for their TTL (negative ones for the SOA bound, RFC 2308).
/// It serves the s2s connector's SRV lookups (RFC 6120 §3.2.1, XEP-0368) and, when servers are configured explicitly,
/// its A/AAAA lookups; without configured servers addresses come from the operating system (which reads /etc/hosts).
/// </summary>
public sealed partial class DnsResolver
{
    /// <summary>The file the name servers are read from when none are configured.</summary>
    public const string ResolvConfPath = "/etc/resolv.conf";

    private const int MaxUdpResponse = 4096;
    private readonly ConcurrentDictionary<(string Name, DnsRecordType Type), (DnsAnswer Answer, long Expires)> _cache = new(
        new NameTypeComparer());

    private readonly IReadOnlyList<IPEndPoint> _servers;
    private readonly bool _systemAddresses;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;

    /// <summary>
    /// Creates a resolver that asks <paramref name="servers"/> (in order, <paramref name="attempts"/> rounds, each
    /// question waiting <paramref name="timeout"/>); with <paramref name="systemAddresses"/> A/AAAA lookups go to the
    /// operating system instead.
    /// </summary>
    public DnsResolver(IReadOnlyList<IPEndPoint> servers, bool systemAddresses, TimeProvider time, ILogger logger, TimeSpan? timeout = null, int attempts = 2)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        _servers = servers;
        _systemAddresses = systemAddresses;
        _time = time;
        _logger = logger;
        _timeout = timeout ?? TimeSpan.FromSeconds(2);
        Attempts = attempts;
    }

    /// <summary>How many rounds over the server list a question gets.</summary>
    public int Attempts { get; }

    /// <summary>The name servers asked, in order.</summary>
    public IReadOnlyList<IPEndPoint> Servers => _servers;

    /// <summary>
    /// The resolver for the s2s connector: the configured <paramref name="configured"/> servers (<c>ip</c> or
    /// <c>ip:port</c>, <c>[ipv6]:port</c>) when there are any, else the name servers of /etc/resolv.conf with
    /// addresses from the operating system.
    /// </summary>
    public static DnsResolver Create(IReadOnlyList<string> configured, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(configured);
        if (configured.Count > 0)
        {
            var servers = new List<IPEndPoint>();
            foreach (var text in configured)
            {
                servers.Add(TryParseServer(text, out var server) ? server : throw new ArgumentException($"'{text}' is not a name server address", nameof(configured)));
            }

            return new DnsResolver(servers, systemAddresses: false, time, logger);
        }

        return new DnsResolver(ReadResolvConf(ResolvConfPath), systemAddresses: true, time, logger);
    }

    /// <summary>Parses a name server address: an IP address, <c>ip:port</c> or <c>[ipv6]:port</c> (port 53 by default).</summary>
    public static bool TryParseServer(string? text, out IPEndPoint server)
    {
        server = new IPEndPoint(IPAddress.None, 53);
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (IPAddress.TryParse(text, out var bare))
        {
            server = new IPEndPoint(bare, 53);
            return true;
        }

        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port > 0)
        {
            server = endpoint;
            return true;
        }

        return false;
    }

    /// <summary>The <c>nameserver</c> lines of a resolv.conf file (resolv.conf(5)); loopback 127.0.0.1 when there are none.</summary>
    public static IReadOnlyList<IPEndPoint> ReadResolvConf(string path)
    {
        var servers = new List<IPEndPoint>();
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && fields[0] == "nameserver")
                {
                    // A scoped IPv6 address (fe80::1%eth0) parses with its scope id.
                    if (IPAddress.TryParse(fields[1], out var address))
                    {
                        servers.Add(new IPEndPoint(address, 53));
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No resolv.conf: the resolver library default below.
        }

        // resolv.conf(5): "If no nameserver entries are present, the default is to use the name server on the local machine."
        return servers.Count > 0 ? servers : [new IPEndPoint(IPAddress.Loopback, 53)];
    }

    /// <summary>
    /// The SRV records of <c>_<paramref name="service"/>._tcp.<paramref name="domain"/></c>; empty when there are none,
    /// the name does not exist or no server answered (RFC 6120 §3.2.1 then falls back to the domain's addresses).
    /// </summary>
    public async Task<IReadOnlyList<SrvRecord>> LookupSrvAsync(string service, string domain, CancellationToken ct)
    {
        var answer = await QueryAsync($"_{service}._tcp.{ToAscii(domain)}", DnsRecordType.Srv, ct).ConfigureAwait(false);
        return answer?.Services ?? [];
    }

    /// <summary>The IPv4 and IPv6 addresses of <paramref name="host"/> (an address literal is its own answer); empty when it has none.</summary>
    public async Task<IReadOnlyList<IPAddress>> LookupAddressesAsync(string host, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        if (_systemAddresses)
        {
            try
            {
                return await System.Net.Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                Log.SystemLookupFailed(_logger, host, e.SocketErrorCode);
                return [];
            }
        }

        var name = ToAscii(host);
        var v4 = QueryAsync(name, DnsRecordType.A, ct);
        var v6 = QueryAsync(name, DnsRecordType.Aaaa, ct);
        var addresses = new List<IPAddress>();
        addresses.AddRange((await v4.ConfigureAwait(false))?.Addresses ?? []);
        addresses.AddRange((await v6.ConfigureAwait(false))?.Addresses ?? []);
        return addresses;
    }

    /// <summary>
    /// Orders SRV records as RFC 2782 says to try them: by priority, and within a priority by repeated weighted random
    /// choice (zero-weight records first in the running list, so they are chosen only with small probability).
    /// </summary>
    public static List<SrvRecord> Order(IEnumerable<SrvRecord> records, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ordered = new List<SrvRecord>();
        foreach (var group in records.GroupBy(r => r.Priority).OrderBy(g => g.Key))
        {
            var pending = group.OrderBy(r => r.Weight == 0 ? 0 : 1).ToList();
            while (pending.Count > 0)
            {
                var total = 0;
                foreach (var record in pending)
                {
                    total += record.Weight;
                }

                var pick = random.Next(total + 1);
                var running = 0;
                var chosen = pending.Count - 1;
                for (var i = 0; i < pending.Count; i++)
                {
                    running += pending[i].Weight;
                    if (running >= pick)
                    {
                        chosen = i;
                        break;
                    }
                }

                ordered.Add(pending[chosen]);
                pending.RemoveAt(chosen);
            }
        }

        return ordered;
    }

    /// <summary>Drops every cached answer.</summary>
    public void ClearCache() => _cache.Clear();

    private static string ToAscii(string domain)
    {
        try
        {
            return new IdnMapping().GetAscii(domain.TrimEnd('.'));
        }
        catch (ArgumentException)
        {
            return domain;
        }
    }

    /// <summary>Asks the servers in turn; null when none gave a definite answer (not cached, so the next question asks again).</summary>
    private async Task<DnsAnswer?> QueryAsync(string name, DnsRecordType type, CancellationToken ct)
    {
        var now = _time.GetTimestamp();
        if (_cache.TryGetValue((name, type), out var cached) && cached.Expires > now)
        {
            return cached.Answer;
        }

        for (var round = 0; round < Attempts; round++)
        {
            foreach (var server in _servers)
            {
                ct.ThrowIfCancellationRequested();
                DnsAnswer? answer;
                try
                {
                    answer = await AskAsync(server, name, type, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or IOException or FormatException or TimeoutException
                    || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    Log.ServerFailed(_logger, server, name, type, e.Message);
                    continue;
                }

                if (!answer.IsDefinite)
                {
                    // SERVFAIL, REFUSED…: RFC 1035 §7.2, the next server may know better.
                    Log.ServerRefused(_logger, server, name, type, answer.ResponseCode);
                    continue;
                }

                if (answer.TimeToLive > 0)
                {
                    _cache[(name, type)] = (answer, _time.GetTimestamp() + (long)answer.TimeToLive * _time.TimestampFrequency);
                }

                Log.Answered(_logger, name, type, answer.ResponseCode, answer.Services.Count, answer.Addresses.Count, answer.TimeToLive);
                return answer;
            }
        }

        Log.NoAnswer(_logger, name, type, _servers.Count, Attempts);
        return null;
    }

    private async Task<DnsAnswer> AskAsync(IPEndPoint server, string name, DnsRecordType type, CancellationToken ct)
    {
        var id = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
        var query = DnsMessage.BuildQuery(id, name, type);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        var answer = await AskUdpAsync(server, query, id, name, type, timeout.Token).ConfigureAwait(false);
        if (!answer.Truncated)
        {
            return answer;
        }

        // RFC 1035 §4.2.1 / RFC 7766 §5: a truncated UDP answer is asked again over TCP.
        Log.Truncated(_logger, server, name);
        timeout.CancelAfter(_timeout);
        return await AskTcpAsync(server, query, id, name, type, timeout.Token).ConfigureAwait(false);
    }

    private static async Task<DnsAnswer> AskUdpAsync(IPEndPoint server, byte[] query, ushort id, string name, DnsRecordType type, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, ct).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, ct).ConfigureAwait(false);
        var buffer = new byte[MaxUdpResponse];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            // A stray or forged datagram with another id is ignored (RFC 5452 §9.1): wait for ours.
            if (DnsMessage.ReadId(buffer.AsSpan(0, received)) == id)
            {
                return DnsMessage.Parse(buffer.AsSpan(0, received), id, name, type);
            }
        }
    }

    private static async Task<DnsAnswer> AskTcpAsync(IPEndPoint server, byte[] query, ushort id, string name, DnsRecordType type, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server, ct).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        // RFC 1035 §4.2.2: over TCP each message is prefixed with its two-octet length.
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, ct).ConfigureAwait(false);
        var prefix = new byte[2];
        await stream.ReadExactlyAsync(prefix, ct).ConfigureAwait(false);
        var response = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(response, ct).ConfigureAwait(false);
        return DnsMessage.Parse(response, id, name, type);
    }

    private sealed class NameTypeComparer : IEqualityComparer<(string Name, DnsRecordType Type)>
    {
        public bool Equals((string Name, DnsRecordType Type) x, (string Name, DnsRecordType Type) y) =>
            x.Type == y.Type && string.Equals(x.Name, y.Name, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((string Name, DnsRecordType Type) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Name), obj.Type);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5240, Level = LogLevel.Debug, Message = "DNS {Name} {Type}: response code {Code}, {Services} SRV and {Addresses} address record(s), cached {Ttl} s")]
        public static partial void Answered(ILogger logger, string name, DnsRecordType type, int code, int services, int addresses, uint ttl);

        [LoggerMessage(EventId = 5241, Level = LogLevel.Debug, Message = "DNS server {Server} failed for {Name} {Type}: {Reason}")]
        public static partial void ServerFailed(ILogger logger, IPEndPoint server, string name, DnsRecordType type, string reason);

        [LoggerMessage(EventId = 5242, Level = LogLevel.Warning, Message = "DNS {Name} {Type}: none of {Count} server(s) answered in {Attempts} round(s)")]
        public static partial void NoAnswer(ILogger logger, string name, DnsRecordType type, int count, int attempts);

        [LoggerMessage(EventId = 5243, Level = LogLevel.Debug, Message = "DNS server {Server}: the UDP answer for {Name} was truncated, asking over TCP")]
        public static partial void Truncated(ILogger logger, IPEndPoint server, string name);

        [LoggerMessage(EventId = 5244, Level = LogLevel.Debug, Message = "DNS {Host}: the system resolver failed ({Error})")]
        public static partial void SystemLookupFailed(ILogger logger, string host, SocketError error);

        [LoggerMessage(EventId = 5245, Level = LogLevel.Debug, Message = "DNS server {Server} answered {Name} {Type} with response code {Code}")]
        public static partial void ServerRefused(ILogger logger, IPEndPoint server, string name, DnsRecordType type, int code);

        // Next free EventId: 5246 (5250-5259 S2SManager's connector)
    }
}
