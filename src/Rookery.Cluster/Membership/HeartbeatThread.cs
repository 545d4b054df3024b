using Microsoft.Extensions.Logging;
using Npgsql;

namespace Rookery.Cluster.Membership;

/// <summary>
/// This node's proof of life for one incarnation (one node id): a dedicated thread that holds the node's advisory lock on
/// a connection of its own and writes the heartbeat every <see cref="ClusterOptions.HeartbeatInterval"/>, with
/// synchronous Npgsql calls. Neither the thread pool nor async completions are involved, so a node whose pool is
/// saturated by its own clients still proves it is alive: in a bench run the heartbeat, then async code on the pool,
/// waited behind the clients' work items until the peer declared the node dead and purged its sessions (issue #4).
/// The rest of the membership round stays async; it reads <see cref="Last"/> and acts on it. The thread ends when the
/// row is no longer live (the node was declared dead, or left) or when stopped; the lock goes with its connection.
/// </summary>
internal sealed partial class HeartbeatThread
{
    private readonly ClusterRegistry _registry;
    private readonly string _connectionString;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly object _gate = new(); // an object, not a Lock: the interval is slept with Monitor.Wait
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private NpgsqlConnection? _connection;
    private bool _locked;
    private bool _stopRequested;
    private volatile Beat _last = new(NodeStates.Joining);
    private volatile Status _status = new(0, string.Empty);

    private HeartbeatThread(ClusterRegistry registry, NpgsqlConnection registered, long nodeId, string connectionString, TimeSpan interval, ILogger logger)
    {
        _registry = registry;
        _connection = registered;
        _locked = true;
        NodeId = nodeId;
        _connectionString = connectionString;
        _interval = interval;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "rookery-heartbeat-" + nodeId };
    }

    /// <summary>The incarnation this thread proves alive.</summary>
    public long NodeId { get; }

    /// <summary>The outcome of the latest heartbeat write (the registration counts as the first).</summary>
    public Beat Last => _last;

    /// <summary>
    /// Starts the thread on <paramref name="registered"/>, the connection on which the node registered and took its
    /// lock (<see cref="ClusterRegistry.RegisterAsync"/>); from here on only the thread uses it.
    /// </summary>
    public static HeartbeatThread Start(ClusterRegistry registry, NpgsqlConnection registered, long nodeId, string connectionString, TimeSpan interval, ILogger logger)
    {
        var heartbeat = new HeartbeatThread(registry, registered, nodeId, connectionString, interval, logger);
        heartbeat._thread.Start();
        return heartbeat;
    }

    /// <summary>
    /// What the next heartbeats carry for <c>rookery cluster status</c>. Set by the membership round, so that the
    /// membership listener keeps being called from one place only; when the round is starved the figures are a little
    /// stale, the heartbeat is not.
    /// </summary>
    public void Report(int sessions, string links) => _status = new Status(sessions, links);

    /// <summary>Stops the thread; completes once it has ended and closed its connection (so the lock is released).</summary>
    public Task StopAsync()
    {
        lock (_gate)
        {
            _stopRequested = true;
            Monitor.PulseAll(_gate);
        }

        return _ended.Task;
    }

    private void Run()
    {
        try
        {
            while (WaitForNextBeat() && BeatOnce())
            {
            }
        }
        finally
        {
            Close();
            _ended.TrySetResult();
        }
    }

    /// <summary>Sleeps one interval (a plain monitor wait: no timer, no pool); false once stopped.</summary>
    private bool WaitForNextBeat()
    {
        lock (_gate)
        {
            if (!_stopRequested)
            {
                Monitor.Wait(_gate, _interval);
            }

            return !_stopRequested;
        }
    }

    /// <summary>One heartbeat; false when the row is no longer live, which ends the thread.</summary>
    private bool BeatOnce()
    {
        try
        {
            _connection ??= Open();
            var status = _status;
            var state = ClusterRegistry.Heartbeat(_connection, NodeId, status.Sessions, status.Links);
            if (state is null)
            {
                _last = new Beat(null);
                return false;
            }

            if (!_locked)
            {
                // A new connection after a failure: the row is still ours and live, so the lock is taken again. Not
                // with a blocking pg_advisory_lock: the server may not have noticed the old session's death yet; until
                // it does, the fresh heartbeat keeps the node alive (a free lock alone kills nobody, FailureDetector).
                _locked = _registry.TryLock(_connection, NodeId);
                if (_locked)
                {
                    Log.LockTakenAgain(_logger, NodeId);
                }
            }

            _last = new Beat(state);
        }
        catch (Exception e)
        {
            // Every failure, not only the database's: an exception that left this thread would end the process. The
            // round reports the database as lost; the next beat starts on a new connection.
            if (_last.Failure is null)
            {
                Log.HeartbeatFailed(_logger, e, NodeId);
            }

            _last = new Beat(null, e);
            Close();
        }

        return true;
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            connection.Open();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return connection;
    }

    private void Close()
    {
        var connection = _connection;
        _connection = null;
        _locked = false;
        try
        {
            connection?.Dispose();
        }
        catch (Exception e) when (e is NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // Already broken: closing it is all that was left to do.
        }
    }

    /// <summary>
    /// The outcome of a heartbeat: the node's state when the row is live; neither a state nor a failure when the row is no
    /// longer live (declared dead, or left); a failure when the database could not be reached.
    /// </summary>
    internal sealed record Beat(string? State, Exception? Failure = null)
    {
        /// <summary>True when the write found the row no longer live: the node was declared dead (or left).</summary>
        public bool RowGone => State is null && Failure is null;
    }

    private sealed record Status(int Sessions, string Links);

    private static partial class Log
    {
        [LoggerMessage(EventId = 5300, Level = LogLevel.Warning, Message = "The heartbeat of node {NodeId} could not be written; retrying on a new connection")]
        public static partial void HeartbeatFailed(ILogger logger, Exception e, long nodeId);

        [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "The lock of node {NodeId} is held again")]
        public static partial void LockTakenAgain(ILogger logger, long nodeId);

        // Next free EventId: 5302 (this branch has 5300-5309)
    }
}
