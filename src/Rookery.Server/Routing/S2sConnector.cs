using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Rookery.Server.Dns;

namespace Rookery.Server.Routing;

/// <summary>
/// The connection points of one remote domain, tried one after another (RFC 6120 §3.2.1, XEP-0368 §3): a static route
/// (<c>S2S:Routes</c>); else the <c>_xmpps-server._tcp</c> (direct TLS, when <c>S2S:UseTls</c>) and
/// <c>_xmpp-server._tcp</c> SRV targets, by priority (direct TLS first at equal priority) and RFC 2782 weight, each
/// target's addresses in turn; else, when the domain has no such records or every target failed, the domain's own
/// A/AAAA addresses on port 5269 (§3.2.2). A single <c>_xmpp-server</c> record with target "." and no direct TLS record
/// means the domain offers no s2s service: nothing is tried (§3.2.1).
/// </summary>
/// <remarks>
/// A point counts as failed not only when TCP refuses but also when the TLS handshake or the stream fails before dialback
/// begins: the outgoing stream then hands its queue to a new stream that asks this connector for the next point (as
/// Prosody's resolver chain does). One connector serves that chain of streams and holds its one set-up deadline.
/// </remarks>
internal sealed partial class S2sConnector : IDisposable
{
    private readonly S2SManager _manager;
    private readonly string _remote;
    private readonly CancellationTokenSource _deadline;
    private IAsyncEnumerator<Endpoint>? _endpoints;
    private Endpoint? _current;
    private bool _currentFailed;
    private string? _failure;

    /// <summary>Creates the connector; the set-up deadline (<c>S2S:ConnectTimeoutSeconds</c>) starts now.</summary>
    public S2sConnector(S2SManager manager, string remote)
    {
        _manager = manager;
        _remote = remote;
        _deadline = new CancellationTokenSource(TimeSpan.FromSeconds(manager.Options.ConnectTimeoutSeconds), manager.Time);
    }

    /// <summary>Cancelled when the streams of the chain took too long to be set up (connection, TLS, dialback).</summary>
    public CancellationToken Deadline => _deadline.Token;

    /// <summary>True once the set-up deadline passed.</summary>
    public bool TimedOut => _deadline.IsCancellationRequested;

    /// <summary>The connection point of the last connection, for logs.</summary>
    public string CurrentTarget => _current is { } e ? $"{e.Host} ({e.Address}:{e.Port}, {e.Source})" : _remote;

    /// <summary>
    /// Connects to the next point that accepts TCP; returns whether TLS must start at once (direct TLS).
    /// </summary>
    /// <exception cref="SocketException">No point is left; the message is the most telling failure.</exception>
    public async Task<(ConnectionContext Connection, bool DirectTls)> ConnectNextAsync()
    {
        var ct = _deadline.Token;
        _endpoints ??= EndpointsAsync(ct).GetAsyncEnumerator(ct);
        while (await _endpoints.MoveNextAsync().ConfigureAwait(false))
        {
            var endpoint = _endpoints.Current;
            _current = endpoint;
            _currentFailed = false;
            var socket = new Socket(endpoint.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endpoint.Address, endpoint.Port, ct).ConfigureAwait(false);
                Log.Connected(_manager.Logger, _remote, endpoint.Host, endpoint.Address, endpoint.Port, endpoint.Source);
                return (_manager.CreateConnection(socket), endpoint.DirectTls);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                Log.ConnectAttemptFailed(_manager.Logger, _remote, endpoint.Address, endpoint.Port, e.SocketErrorCode);
                Note(e.Message, endpoint.Fallback);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new SocketException((int)SocketError.HostNotFound, _failure ?? $"{_remote} has no address");
    }

    /// <summary>
    /// The last connection failed before its stream was set up (TLS handshake, stream error, closed): remembered for the
    /// final bounce and logged; only the first reason of a connection counts.
    /// </summary>
    public void ConnectionFailed(string reason)
    {
        if (_current is not { } endpoint || _currentFailed)
        {
            return;
        }

        _currentFailed = true;
        Log.StreamSetupFailed(_manager.Logger, _remote, endpoint.Host, endpoint.Address, endpoint.Port, reason);
        Note(reason, endpoint.Fallback);
    }

    // A failure of the A/AAAA fallback does not hide an SRV target's: the fallback is a last resort, often absent.
    private void Note(string reason, bool fallback)
    {
        if (_failure is null || !fallback)
        {
            _failure = reason;
        }
    }

    private async IAsyncEnumerable<Endpoint> EndpointsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var options = _manager.Options;
        var resolver = _manager.Resolver;
        if (options.Routes.TryGetValue(_remote, out var route) && S2sOptions.TryParseTarget(route, out var routeHost, out var routePort))
        {
            foreach (var address in await AddressesAsync(routeHost, fallback: false, ct).ConfigureAwait(false))
            {
                yield return new Endpoint(routeHost, address, routePort, DirectTls: false, "static route", Fallback: false);
            }

            yield break;
        }

        var secureLookup = options.UseTls ? resolver.LookupSrvAsync("xmpps-server", _remote, ct) : Task.FromResult<IReadOnlyList<SrvRecord>>([]);
        var plain = await resolver.LookupSrvAsync("xmpp-server", _remote, ct).ConfigureAwait(false);
        var secure = await secureLookup.ConfigureAwait(false);
        var candidates = new List<SrvRecord>();
        foreach (var record in secure)
        {
            if (!record.IsServiceUnavailable)
            {
                candidates.Add(record with { DirectTls = true });
            }
        }

        if (plain.Count == 1 && plain[0].IsServiceUnavailable && candidates.Count == 0)
        {
            Log.NoService(_manager.Logger, _remote);
            throw new SocketException((int)SocketError.HostNotFound, $"{_remote} offers no server-to-server service (SRV target '.')");
        }

        foreach (var record in plain)
        {
            if (!record.IsServiceUnavailable)
            {
                candidates.Add(record);
            }
        }

        if (candidates.Count > 0)
        {
            // RFC 2782 order, then (stable) direct TLS before STARTTLS within a priority (XEP-0368 §3).
            var ordered = DnsResolver.Order(candidates, Random.Shared).OrderBy(r => r.Priority).ThenBy(r => r.DirectTls ? 0 : 1);
            foreach (var record in ordered)
            {
                var source = record.DirectTls ? "SRV xmpps-server" : "SRV xmpp-server";
                foreach (var address in await AddressesAsync(record.Target, fallback: false, ct).ConfigureAwait(false))
                {
                    yield return new Endpoint(record.Target, address, record.Port, record.DirectTls, source, Fallback: false);
                }
            }

            // RFC 6120 §3.2.1 step 9: every SRV target failed; the fallback process may still be tried.
            Log.SrvTargetsFailed(_manager.Logger, _remote, candidates.Count);
        }

        foreach (var address in await AddressesAsync(_remote, fallback: true, ct).ConfigureAwait(false))
        {
            yield return new Endpoint(_remote, address, S2sOptions.DefaultPort, DirectTls: false, "A/AAAA", Fallback: true);
        }
    }

    private async Task<IReadOnlyList<IPAddress>> AddressesAsync(string host, bool fallback, CancellationToken ct)
    {
        var addresses = await _manager.Resolver.LookupAddressesAsync(host, ct).ConfigureAwait(false);
        if (addresses.Count == 0)
        {
            Note($"{host} has no address", fallback);
        }

        return addresses;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _deadline.Dispose();
    }

    private readonly record struct Endpoint(string Host, IPAddress Address, int Port, bool DirectTls, string Source, bool Fallback);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4631, Level = LogLevel.Debug, Message = "S2S: connected to {Remote} at {Host} ({Address}:{Port}, from {Source})")]
        public static partial void Connected(ILogger logger, string remote, string host, IPAddress address, int port, string source);

        [LoggerMessage(EventId = 5250, Level = LogLevel.Warning, Message = "S2S: {Remote} publishes SRV target '.': it offers no server-to-server service")]
        public static partial void NoService(ILogger logger, string remote);

        [LoggerMessage(EventId = 5251, Level = LogLevel.Information, Message = "S2S: none of the {Count} SRV target(s) of {Remote} accepted; trying its own address")]
        public static partial void SrvTargetsFailed(ILogger logger, string remote, int count);

        [LoggerMessage(EventId = 5252, Level = LogLevel.Debug, Message = "S2S: connecting to {Remote} at {Address}:{Port} failed ({Error})")]
        public static partial void ConnectAttemptFailed(ILogger logger, string remote, IPAddress address, int port, SocketError error);

        [LoggerMessage(EventId = 5311, Level = LogLevel.Information, Message = "S2S: the connection to {Remote} at {Host} ({Address}:{Port}) failed before the stream was set up: {Reason}")]
        public static partial void StreamSetupFailed(ILogger logger, string remote, string host, IPAddress address, int port, string reason);

        // Next free EventId: 5253 (5250-5259: the connector); 5313 (5310-5329: direct TLS s2s and target fallback)
    }
}
