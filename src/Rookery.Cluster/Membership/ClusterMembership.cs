using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Rookery.Cluster.Membership;

/// <summary>
/// This node's membership: it registers in the PostgreSQL registry under a session-level advisory lock, proves it is
/// alive with a <see cref="HeartbeatThread"/> (the lock and the heartbeat, on a thread of their own), listens for
/// <c>NOTIFY</c> announcements, and on every round reads the registry, watches its peers with the
/// <see cref="FailureDetector"/> and the lock probe, and declares a dead peer dead with one conditional update (exactly
/// one survivor wins). One loop does all of it but the heartbeat, so the listener is called one event at a time.
/// </summary>
internal sealed partial class ClusterMembership : IAsyncDisposable
{
    private static readonly TimeSpan GoneWithin = TimeSpan.FromHours(1);
    private readonly ClusterRegistry _registry;
    private readonly ClusterOptions _options;
    private readonly NodeRecord _self;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FailureDetector _detector;
    private readonly string _heartbeatConnectionString;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<long, NodeRecord> _peers = [];
    private IMembershipListener? _listener;
    private NpgsqlConnection? _listenConnection;
    private HeartbeatThread? _heartbeat;
    private Task _loop = Task.CompletedTask;
    private volatile bool _listenLost;
    private bool _databaseLost;
    private bool _drainSignalled;
    private bool _rejoining;

    public ClusterMembership(ClusterRegistry registry, ClusterOptions options, NodeRecord self, TimeProvider time, ILogger logger)
    {
        _registry = registry;
        _options = options;
        _self = self;
        _time = time;
        _logger = logger;
        _detector = new FailureDetector(time, options.FailureTimeout);
        _heartbeatConnectionString = HeartbeatConnectionString(registry, options);
    }

    /// <summary>This node's id in the registry (its incarnation); changes when the node has to register again.</summary>
    public long NodeId { get; private set; }

    /// <summary>The live peers as of the last round.</summary>
    public IReadOnlyList<NodeRecord> Peers { get; private set; } = [];

    /// <summary>
    /// Registers the node (after <see cref="ClusterOptions.StartupDelay"/>, retrying <see cref="ClusterOptions.StartupRetryCount"/>
    /// times) and starts the heartbeat thread and the membership loop.
    /// </summary>
    public async Task StartAsync(IMembershipListener listener, CancellationToken ct)
    {
        _listener = listener;
        if (_options.StartupDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.StartupDelay, _time, ct).ConfigureAwait(false);
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await JoinAsync(ct).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (IsDatabaseFailure(e) && attempt < _options.StartupRetryCount)
            {
                Log.JoinRetry(_logger, e, attempt + 1, _options.StartupRetryCount);
                await Task.Delay(_options.StartupRetryInterval, _time, ct).ConfigureAwait(false);
            }
        }

        // The first round reads the peers before the node serves, so that links start at once.
        await RoundAsync().ConfigureAwait(false);
        _loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    /// <summary>Marks the node alive in the registry (after its links listener is up).</summary>
    public Task MarkAliveAsync(CancellationToken ct) =>
        _registry.SetStateAsync(NodeId, [NodeStates.Joining], NodeStates.Alive, ct);

    /// <summary>Marks the node as draining (SIGTERM); false when it was not alive.</summary>
    public Task<bool> MarkDrainingAsync(CancellationToken ct) =>
        _registry.SetStateAsync(NodeId, [NodeStates.Joining, NodeStates.Alive], NodeStates.Draining, ct);

    /// <summary>Stops the loop; with <paramref name="leave"/>, records that the node left and tells the others.</summary>
    public async Task StopAsync(bool leave, CancellationToken ct)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _wake.Release();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A round cut short by the stop: nothing of it needs finishing.
        }

        // The loop is over, so nothing swaps the heartbeat any more. The node leaves while it still holds its lock and
        // heartbeats, so no peer sees a live row without a live node in between.
        if (leave && _heartbeat is not null)
        {
            try
            {
                await _registry.SetStateAsync(NodeId, [NodeStates.Joining, NodeStates.Alive, NodeStates.Draining], NodeStates.Left, ct).ConfigureAwait(false);
                Log.Left(_logger, _self.Name, NodeId);
            }
            catch (Exception e) when (IsDatabaseFailure(e))
            {
                // The peers find out through the lock probe and the old heartbeat once the heartbeat stops below.
                Log.LeaveFailed(_logger, e);
            }
        }

        await StopHeartbeatAsync().ConfigureAwait(false);
        await CloseListenConnectionAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(leave: false, CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _wake.Dispose();
    }

    /// <summary>Asks the loop for an extra round now (a NOTIFY arrived).</summary>
    public void Wake() => _wake.Release();

    /// <summary>
    /// Registers a new incarnation: the row and its lock on a new connection, which the new heartbeat thread then owns.
    /// Only the loop (or the start, before it) calls this, and only while no heartbeat thread runs.
    /// </summary>
    private async Task JoinAsync(CancellationToken ct)
    {
        if (_listenConnection is null)
        {
            await OpenListenConnectionAsync(ct).ConfigureAwait(false);
        }

        var connection = new NpgsqlConnection(_heartbeatConnectionString);
        long id;
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            id = await _registry.RegisterAsync(connection, _self, ct).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        NodeId = id;
        _drainSignalled = false;
        _heartbeat = HeartbeatThread.Start(_registry, connection, id, _heartbeatConnectionString, _options.HeartbeatInterval, _logger);
        Log.Joined(_logger, _self.Name, NodeId, _self.Host, _self.ClusterPort);
    }

    /// <summary>After this node was declared dead: registers again (unless an earlier round did) and serves at once.</summary>
    private async Task RejoinAsync(CancellationToken ct)
    {
        if (_heartbeat is null)
        {
            await JoinAsync(ct).ConfigureAwait(false);
        }

        await MarkAliveAsync(ct).ConfigureAwait(false);
        _rejoining = false;
    }

    private async Task StopHeartbeatAsync()
    {
        var heartbeat = _heartbeat;
        _heartbeat = null;
        if (heartbeat is not null)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The connection that <c>LISTEN</c>s for announcements. It only wakes the loop early: losing it costs no more than
    /// rounds at the heartbeat interval until the next round opens it again; the proof of life is the heartbeat's.
    /// </summary>
    private async Task OpenListenConnectionAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_registry.ConnectionString)
        {
            Pooling = false,
            KeepAlive = ListenKeepAliveSeconds(_options),
        }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var listen = new NpgsqlCommand("LISTEN " + ClusterRegistry.Channel, connection);
            await listen.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _listenConnection = connection;
        _listenLost = false;
        connection.Notification += OnNotification;
        _ = ListenAsync(connection);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Payload.StartsWith(_registry.Schema + "|", StringComparison.Ordinal))
        {
            _wake.Release();
        }
    }

    private async Task ListenAsync(NpgsqlConnection connection)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await connection.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            if (ReferenceEquals(connection, _listenConnection) && !_stopping.IsCancellationRequested)
            {
                Log.ListenConnectionLost(_logger, e);
                _listenLost = true;
                _wake.Release();
            }
        }
    }

    private async Task CloseListenConnectionAsync()
    {
        var connection = _listenConnection;
        _listenConnection = null;
        if (connection is not null)
        {
            connection.Notification -= OnNotification;
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (IsDatabaseFailure(e))
            {
                // Already broken: closing it is all that was left to do.
            }
        }
    }

    private async Task LoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_options.HeartbeatInterval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await RoundAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                Log.RoundFailed(_logger, e);
            }
        }
    }

    private async Task RoundAsync()
    {
        var ct = _stopping.Token;
        var listener = _listener!;
        try
        {
            if (_listenLost)
            {
                await CloseListenConnectionAsync().ConfigureAwait(false);
                await OpenListenConnectionAsync(ct).ConfigureAwait(false);
            }

            if (_rejoining)
            {
                // Declared dead on an earlier round, and registering again failed then (the database was lost).
                await RejoinAsync(ct).ConfigureAwait(false);
            }

            // The heartbeat thread wrote on its own; this round acts on the outcome of its latest write.
            var heartbeat = _heartbeat!;
            heartbeat.Report(listener.LocalSessionCount, listener.LinkSummary);
            var beat = heartbeat.Last;
            if (beat.Failure is not null)
            {
                // Like any failed round: this node cannot tell whether it is still a member, nor judge its peers.
                OnDatabaseFailure(listener, beat.Failure);
                return;
            }

            if (beat.RowGone)
            {
                // Declared dead while we could not prove we were alive: our sessions were purged cluster-wide. The
                // thread of that incarnation has ended; forgetting it first makes this branch run once per incarnation,
                // even when registering again fails and is retried by the next rounds.
                Log.WasDeclaredDead(_logger, NodeId);
                await StopHeartbeatAsync().ConfigureAwait(false);
                _rejoining = true;
                await listener.DeclaredDeadAsync().ConfigureAwait(false);
                await RejoinAsync(ct).ConfigureAwait(false);
                return;
            }

            if (beat.State == NodeStates.Draining && !_drainSignalled)
            {
                _drainSignalled = true;
                listener.DrainRequested();
            }

            // The peers are judged as of this read: a pause of this node before the judgement does not count.
            var readAt = _time.GetTimestamp();
            var nodes = await _registry.ListAsync(GoneWithin, ct).ConfigureAwait(false);
            var live = new List<NodeRecord>(nodes.Count);
            foreach (var node in nodes)
            {
                if (node.NodeId != NodeId && node.IsLive)
                {
                    live.Add(node);
                }
            }

            foreach (var gone in _peers.Values.Where(p => !live.Exists(l => l.NodeId == p.NodeId)).ToList())
            {
                _peers.Remove(gone.NodeId);
                _detector.Forget(gone.NodeId);
                Log.PeerGone(_logger, gone.Name, gone.NodeId);
                await listener.PeerGoneAsync(gone, purge: false).ConfigureAwait(false);
            }

            var survivors = new List<NodeRecord>(live.Count);
            foreach (var peer in live)
            {
                _detector.Observe(peer.NodeId, peer.HeartbeatAt, readAt);
                var lockFree = await _registry.IsLockFreeAsync(peer.NodeId, ct).ConfigureAwait(false);
                if (_detector.IsDead(peer.NodeId, lockFree, peer.HeartbeatAge, readAt))
                {
                    if (await _registry.DeclareDeadAsync(peer.NodeId, NodeId, ct).ConfigureAwait(false))
                    {
                        Log.DeclaredDead(_logger, peer.Name, peer.NodeId, lockFree ? "its database session is gone" : "its heartbeat is too old");
                        _peers.Remove(peer.NodeId);
                        _detector.Forget(peer.NodeId);
                        await listener.PeerGoneAsync(peer, purge: true).ConfigureAwait(false);
                    }

                    continue;
                }

                if (!_peers.ContainsKey(peer.NodeId))
                {
                    Log.PeerSeen(_logger, peer.Name, peer.NodeId, peer.State);
                }

                _peers[peer.NodeId] = peer;
                survivors.Add(peer);
            }

            Peers = survivors;
            listener.PeersChanged(survivors);
            if (_databaseLost)
            {
                _databaseLost = false;
                Log.DatabaseRestored(_logger);
                listener.DatabaseRestored();
            }
        }
        catch (Exception e) when (IsDatabaseFailure(e) && !ct.IsCancellationRequested)
        {
            OnDatabaseFailure(listener, e);
        }
    }

    private void OnDatabaseFailure(IMembershipListener listener, Exception e)
    {
        if (!_databaseLost)
        {
            _databaseLost = true;
            Log.DatabaseLost(_logger, e);
            listener.DatabaseLost();
        }
    }

    /// <summary>
    /// The heartbeat thread's connection: unpooled, since the lock lives and dies with it. Its commands (and its
    /// connects) give up after the failure timeout, rounded up: by then the node would be declared dead anyway, and the
    /// next beat starts on a new connection. No Npgsql keepalive: a heartbeat every interval keeps it busy, and the
    /// keepalive's timer would run on the thread pool. And no waiting for the write-ahead log's flush
    /// (<c>synchronous_commit=off</c>): a beat lost in a database crash costs nothing, whereas a beat that queues behind a
    /// storm of other commits (a backlog of messages going to offline storage, each one committed) became visible to the
    /// peers only after the failure timeout, and a live node was declared dead (docs/benchmarks.md, 2026-12-07 22:45 UTC).
    /// </summary>
    internal static string HeartbeatConnectionString(ClusterRegistry registry, ClusterOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(registry.ConnectionString)
        {
            Pooling = false,
            KeepAlive = 0,
            CommandTimeout = FailureTimeoutSeconds(options),
            Timeout = FailureTimeoutSeconds(options),
        };
        const string NoFlushWait = "-c synchronous_commit=off";
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? NoFlushWait : builder.Options + " " + NoFlushWait;
        return builder.ConnectionString;
    }

    /// <summary>
    /// The Npgsql keepalive of the listen connection, in whole seconds: the failure timeout, rounded up. Keepalive queries
    /// notice a dead server while the connection only waits for notifications; Npgsql waits for a keepalive's answer only
    /// as long as the interval and then breaks the connection. That connection held the lock until the lock moved to the
    /// heartbeat thread, and at the heartbeat interval (1 s) a node starved of CPU for a second lost its lock while alive
    /// (bench run of 2026-12-07 01:06); now a late answer costs a new listen connection, no sooner than the failure timeout.
    /// </summary>
    internal static int ListenKeepAliveSeconds(ClusterOptions options) => FailureTimeoutSeconds(options);

    private static int FailureTimeoutSeconds(ClusterOptions options) =>
        Math.Max(1, (int)Math.Ceiling(options.FailureTimeout.TotalSeconds));

    private static bool IsDatabaseFailure(Exception e) =>
        e is NpgsqlException or SocketException or TimeoutException or IOException or InvalidOperationException;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Joined the cluster as {Name} (node {NodeId}, links on {Host}:{Port})")]
        public static partial void Joined(ILogger logger, string name, long nodeId, string host, int port);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Registering in the cluster failed (attempt {Attempt} of {Retries} retries)")]
        public static partial void JoinRetry(ILogger logger, Exception e, int attempt, int retries);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Peer {Name} (node {NodeId}) is {State}")]
        public static partial void PeerSeen(ILogger logger, string name, long nodeId, string state);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Declared peer {Name} (node {NodeId}) dead: {Reason}")]
        public static partial void DeclaredDead(ILogger logger, string name, long nodeId, string reason);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Peer {Name} (node {NodeId}) left the cluster or was declared dead")]
        public static partial void PeerGone(ILogger logger, string name, long nodeId);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "The cluster database cannot be reached: logins stop until it is back")]
        public static partial void DatabaseLost(ILogger logger, Exception e);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "The cluster database is reachable again")]
        public static partial void DatabaseRestored(ILogger logger);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "The cluster listen connection was lost; opening it again")]
        public static partial void ListenConnectionLost(ILogger logger, Exception e);

        [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "This node (node {NodeId}) was declared dead by the cluster; registering again")]
        public static partial void WasDeclaredDead(ILogger logger, long nodeId);

        [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "{Name} (node {NodeId}) left the cluster")]
        public static partial void Left(ILogger logger, string name, long nodeId);

        [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Recording that this node left failed")]
        public static partial void LeaveFailed(ILogger logger, Exception e);

        [LoggerMessage(EventId = 4011, Level = LogLevel.Error, Message = "A membership round failed")]
        public static partial void RoundFailed(ILogger logger, Exception e);

        // Next free EventId: 4012 (the cluster uses 4000-4099)
    }
}
