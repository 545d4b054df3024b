using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Errors;
using Rookery.Server.Dns;
using Rookery.Server.Hosts;
using Rookery.Server.Streams;
using Rookery.Server.Transport;

namespace Rookery.Server.Routing;

/// <summary>
/// The fourth routing module (ejabberd <c>ejabberd_s2s</c>): takes stanzas for domains that are neither ours nor
/// registered services and hands them to the outgoing stream of their (local domain, remote domain) pair, opening one
/// on demand (RFC 6120 §4, XEP-0220 Server Dialback). It also owns the incoming streams, answers the receiving side's
/// key checks through the outgoing stream to the authoritative server, and closes idle streams. With federation off
/// (<see cref="S2sOptions.Enabled"/> false) it answers <c>remote-server-not-found</c> (RFC 6120 §8.3.3.16).
/// </summary>
public sealed partial class S2SManager : IStanzaRoute, IDisposable
{
    private readonly ConcurrentDictionary<(string Local, string Remote), S2sOutStream> _outgoing = new();
    private readonly ConcurrentDictionary<(string Local, string Remote), S2sOutStream> _verifiers = new();
    private readonly ConcurrentDictionary<S2sStream, byte> _connections = new();
    private readonly Lock _openLock = new();
    private readonly RouteTable _routes;
    private readonly SocketConnectionContextFactory _factory;
    private readonly ITimer? _sweep;
    private readonly long _idleTicks;
    private volatile bool _stopping;

    /// <summary>Creates the manager; the idle sweep runs only when federation is enabled.</summary>
    public S2SManager(
        RouteTable routes,
        Router router,
        IOptions<S2sOptions> options,
        DialbackKeys keys,
        CertificateStore certificates,
        IOptions<ServerOptions> serverOptions,
        TimeProvider time,
        ILogger<S2SManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serverOptions);
        ArgumentNullException.ThrowIfNull(time);
        _routes = routes;
        Router = router;
        Options = options.Value;
        Keys = keys;
        Certificates = certificates;
        ServerOptions = serverOptions.Value;
        Time = time;
        Logger = logger;
        _factory = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), logger);
        Resolver = DnsResolver.Create(Options.DnsServers, time, logger);
        _idleTicks = (long)(Options.IdleTimeoutSeconds * (double)time.TimestampFrequency);
        if (Options.Enabled)
        {
            var period = TimeSpan.FromSeconds(Math.Clamp(Options.IdleTimeoutSeconds / 4.0, 0.25, 30));
            _sweep = time.CreateTimer(_ => SweepIdle(), null, period, period);
        }
    }

    /// <summary>The stanza router (incoming stanzas, bounces).</summary>
    internal Router Router { get; }

    /// <summary>Federation settings.</summary>
    internal S2sOptions Options { get; }

    /// <summary>Dialback key generation and checks.</summary>
    internal DialbackKeys Keys { get; }

    /// <summary>The hosts' certificates, offered on incoming STARTTLS.</summary>
    internal CertificateStore Certificates { get; }

    /// <summary>Stream limits.</summary>
    internal ServerOptions ServerOptions { get; }

    /// <summary>The clock.</summary>
    internal TimeProvider Time { get; }

    /// <summary>The logger of the manager and its streams.</summary>
    internal ILogger Logger { get; }

    /// <summary>The resolver of peer domains' SRV and address records (<c>S2S:DnsServers</c>).</summary>
    public DnsResolver Resolver { get; }

    /// <summary>The cluster's s2s route table, set by the cluster at start (null on a single node).</summary>
    public IS2sRouteDirectory? ClusterRoutes { get; set; }

    /// <summary>Raised when an outgoing stream of this node is verified (the cluster sends S2S_ROUTE_UP).</summary>
    public event EventHandler<S2sRouteEventArgs>? LocalRouteUp;

    /// <summary>Raised when a verified outgoing stream of this node leaves the table (the cluster sends S2S_ROUTE_DOWN).</summary>
    public event EventHandler<S2sRouteEventArgs>? LocalRouteDown;

    /// <summary>The (local, remote) pairs with a verified outgoing stream on this node, for a new link's full sync.</summary>
    public IReadOnlyList<(string Local, string Remote)> LocalRoutes()
    {
        var routes = new List<(string, string)>();
        foreach (var (key, stream) in _outgoing)
        {
            if (stream.IsVerified)
            {
                routes.Add(key);
            }
        }

        return routes;
    }

    /// <summary>The number of open s2s connections, incoming and outgoing, negotiated or not.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The (local, remote) domain pairs that have an outgoing stream on this node, verified or being set up.</summary>
    public IReadOnlyList<(string Local, string Remote, bool Verified)> OutgoingRoutes =>
        [.. _outgoing.Select(p => (p.Key.Local, p.Key.Remote, p.Value.IsVerified))];

    /// <summary>Whether <paramref name="domain"/> is served here: a host, a component or a service (the route table knows it).</summary>
    public bool IsServed(string domain) => _routes.IsRegistered(domain);

    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza) => Route(stanza, mayForward: true);

    /// <summary>
    /// Sends a stanza another node forwarded here (it saw this node's S2S_ROUTE_UP) over this node's own outgoing stream,
    /// opening one if the stream went away meanwhile; never forwards again, so that two nodes never bounce it between
    /// them. Never throws: failures bounce to the sender.
    /// </summary>
    public async ValueTask RouteHereAsync(Stanza stanza)
    {
        try
        {
            await Route(stanza, mayForward: false).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            await Router.BounceAsync(stanza, e.Condition, e.Text).ConfigureAwait(false);
        }
    }

    private ValueTask Route(Stanza stanza, bool mayForward)
    {
        var remote = stanza.To.Domain;
        if (!Options.Enabled)
        {
            throw new StanzaErrorException(StanzaErrorCondition.RemoteServerNotFound, $"No route to {remote}: federation is not enabled");
        }

        var local = stanza.From.Domain;
        if (!IsServed(local))
        {
            // Only our own domains can be authenticated to a peer (XEP-0220 §2.1.1).
            throw new StanzaErrorException(StanzaErrorCondition.RemoteServerNotFound, $"No route from {local} to {remote}");
        }

        // A node of the cluster with a verified stream for the pair takes it in one hop (docs/dev/cluster.md); this
        // node opens its own only when none has one.
        if (mayForward && ClusterRoutes is { } directory && !_outgoing.ContainsKey((local, remote)) && directory.TryForward(stanza))
        {
            return ValueTask.CompletedTask;
        }

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var stream = GetOrOpen(local, remote);
            if (stream.TryEnqueue(stanza))
            {
                return ValueTask.CompletedTask;
            }

            // It was closing (idle, failed): out of the table, and the next round opens a new one.
            RemoveOutgoing(stream);
        }

        throw new StanzaErrorException(StanzaErrorCondition.RemoteServerNotFound, $"No stream to {remote} could take the stanza");
    }

    /// <summary>
    /// The receiving server's question (XEP-0220 §2.1.2): is <paramref name="key"/>, given on an incoming stream with
    /// <paramref name="streamId"/> by <paramref name="remote"/> for <paramref name="local"/>, really the remote domain's?
    /// Asked with <c>db:verify</c> over this node's outgoing stream to the remote domain.
    /// </summary>
    internal async Task<DialbackOutcome> VerifyKeyAsync(string local, string remote, string streamId, string key)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            // XEP-0220 §2.1.2: the question goes over this node's stream to the remote domain when it has one (as
            // Prosody does), else over a verification connection of its own (as ejabberd does), so that answering a
            // peer never makes this node a route owner of the pair.
            var stream = _outgoing.TryGetValue((local, remote), out var existing) ? existing : GetOrOpenVerifier(local, remote);
            var pending = stream.RequestVerifyAsync(streamId, key);
            try
            {
                var outcome = await pending.WaitAsync(TimeSpan.FromSeconds(Options.ConnectTimeoutSeconds), Time).ConfigureAwait(false);
                if (outcome != DialbackOutcome.Failed || !stream.IsClosing)
                {
                    return outcome;
                }
            }
            catch (TimeoutException)
            {
                return DialbackOutcome.Failed;
            }

            RemoveOutgoing(stream);
        }

        return DialbackOutcome.Failed;
    }

    private S2sOutStream GetOrOpen(string local, string remote)
    {
        var key = (local, remote);
        if (_outgoing.TryGetValue(key, out var stream))
        {
            return stream;
        }

        ThrowIfStopping(remote);
        lock (_openLock)
        {
            if (_outgoing.TryGetValue(key, out stream))
            {
                return stream;
            }

            stream = new S2sOutStream(this, local, remote);
            _outgoing[key] = stream;
        }

        Log.Opening(Logger, local, remote);
        _ = Task.Run(stream.StartAsync);
        return stream;
    }

    private S2sOutStream GetOrOpenVerifier(string local, string remote)
    {
        ThrowIfStopping(remote);
        var key = (local, remote);
        S2sOutStream? stream;
        lock (_openLock)
        {
            if (_verifiers.TryGetValue(key, out stream) && !stream.IsClosing)
            {
                return stream;
            }

            stream = new S2sOutStream(this, local, remote, verifyOnly: true);
            _verifiers[key] = stream;
        }

        Log.OpeningVerifier(Logger, local, remote);
        _ = Task.Run(stream.StartAsync);
        return stream;
    }

    /// <summary>A node shutting down opens no new stream: what would need one bounces instead of keeping the node up.</summary>
    private void ThrowIfStopping(string remote)
    {
        if (_stopping)
        {
            throw new StanzaErrorException(StanzaErrorCondition.RemoteServerNotFound, $"No stream to {remote}: the server is shutting down");
        }
    }

    /// <summary>Takes an outgoing stream out of the table, if it is still the pair's stream.</summary>
    internal void RemoveOutgoing(S2sOutStream stream)
    {
        if (stream.VerifyOnly)
        {
            _verifiers.TryRemove(new KeyValuePair<(string, string), S2sOutStream>((stream.Local, stream.Remote), stream));
            return;
        }

        if (_outgoing.TryRemove(new KeyValuePair<(string, string), S2sOutStream>((stream.Local, stream.Remote), stream)) && stream.IsVerified)
        {
            LocalRouteDown?.Invoke(this, new S2sRouteEventArgs(stream.Local, stream.Remote));
        }
    }

    /// <summary>
    /// Puts <paramref name="successor"/> in the place of an outgoing stream whose connection failed before it was set up,
    /// so that stanzas routed from now on wait in the successor (which tries the next connection point); false when
    /// the stream is no longer the pair's or the node is shutting down.
    /// </summary>
    internal bool ReplaceOutgoing(S2sOutStream stream, S2sOutStream successor)
    {
        var table = stream.VerifyOnly ? _verifiers : _outgoing;
        return !_stopping && table.TryUpdate((stream.Local, stream.Remote), successor, stream);
    }

    /// <summary>An outgoing stream passed dialback: announced to the cluster if it is still the pair's stream.</summary>
    internal void OnVerified(S2sOutStream stream)
    {
        if (_outgoing.TryGetValue((stream.Local, stream.Remote), out var current) && ReferenceEquals(current, stream))
        {
            LocalRouteUp?.Invoke(this, new S2sRouteEventArgs(stream.Local, stream.Remote));
        }
    }

    /// <summary>Wraps a connected socket of an outgoing stream (see <see cref="S2sConnector"/>).</summary>
    internal ConnectionContext CreateConnection(Socket socket) => _factory.Create(socket);

    /// <summary>
    /// Runs an incoming s2s connection until it ends (the listener's connection handler); with
    /// <paramref name="directTls"/> the TLS handshake comes before any XML (XEP-0368).
    /// </summary>
    internal async Task AcceptAsync(ConnectionContext connection, bool directTls = false)
    {
        var stream = new S2sInStream(this);
        if (_stopping)
        {
            stream.CloseStream(StreamErrorCondition.SystemShutdown, "The server is shutting down");
        }

        AddConnection(stream);
        try
        {
            await stream.RunAsync(connection, directTls).ConfigureAwait(false);
        }
        finally
        {
            RemoveConnection(stream);
        }
    }

    internal void AddConnection(S2sStream stream) => _connections.TryAdd(stream, 0);

    internal void RemoveConnection(S2sStream stream) => _connections.TryRemove(stream, out _);

    /// <summary>Closes streams without traffic for <c>S2S:IdleTimeoutSeconds</c> (RFC 6120 §4.4 graceful close).</summary>
    private void SweepIdle()
    {
        var now = Time.GetTimestamp();
        foreach (var stream in _connections.Keys)
        {
            if (now - stream.LastActivity < _idleTicks || stream.IsClosing)
            {
                continue;
            }

            if (stream is S2sOutStream outgoing)
            {
                // Out of the table first: a stanza routed from now on opens a new stream.
                RemoveOutgoing(outgoing);
            }

            Log.ClosingIdle(Logger, stream.ConnectionId, stream.RemoteAddress);
            stream.CloseGracefully();
        }
    }

    /// <summary>Closes every s2s stream with <c>system-shutdown</c> and waits (bounded) until they are gone.</summary>
    public async Task CloseAllAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        _stopping = true;
        var deadline = Time.GetUtcNow() + timeout;
        while (!_connections.IsEmpty && Time.GetUtcNow() < deadline)
        {
            // Again each round: a stream that was being opened when the shutdown began is closed as well.
            foreach (var stream in _connections.Keys)
            {
                stream.CloseStream(StreamErrorCondition.SystemShutdown, "The server is shutting down");
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _sweep?.Dispose();
        _factory.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4630, Level = LogLevel.Information, Message = "S2S {Local} -> {Remote}: opening an outgoing stream")]
        public static partial void Opening(ILogger logger, string local, string remote);

        [LoggerMessage(EventId = 4632, Level = LogLevel.Information, Message = "S2S connection {ConnectionId} with {Address}: idle, closing")]
        public static partial void ClosingIdle(ILogger logger, string connectionId, string? address);

        [LoggerMessage(EventId = 4633, Level = LogLevel.Debug, Message = "S2S {Local} -> {Remote}: opening a connection for db:verify")]
        public static partial void OpeningVerifier(ILogger logger, string local, string remote);

        // Next free EventId: 4634 (4631, 5250-5259: S2sConnector) (4600-4602 S2sStream, 4610-4616 S2sInStream, 4620-4628 S2sOutStream)
    }
}
