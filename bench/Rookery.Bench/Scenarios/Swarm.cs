using System.Collections.Concurrent;
using System.Diagnostics;
using Rookery.Bench.Metrics;
using Rookery.Bench.Net;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Scenarios;

/// <summary>
/// The scenario's client connections: logs them all in with bounded concurrency (each from connect to reflected
/// initial presence, within a per-login timeout), starts their read loops, counts drops, and closes them at the end.
/// </summary>
internal sealed class Swarm : IStanzaHandler, IAsyncDisposable
{
    private readonly BenchOptions _options;
    private readonly LoginSettings _login;
    private readonly IStanzaHandler? _inner;
    private readonly ConcurrentDictionary<string, int> _failureReasons = new(StringComparer.Ordinal);
    private readonly LatencyHistogram _loginLatency = new();
    private BenchConnection?[] _connections = [];
    private int _online;
    private int _failed;
    private int _attempted;
    private int _dropped;
    private long _lastOnlineTimestamp;
    private string? _firstError;
    private string? _firstDrop;

    /// <summary>Creates the swarm; <paramref name="inner"/> receives the stanzas once connections are online.</summary>
    public Swarm(BenchOptions options, ScramKeyCache keys, IStanzaHandler? inner)
    {
        _options = options;
        _inner = inner;
        _login = new LoginSettings(options.Domain, options.Password, options.Tls, options.Mechanism, options.Resource, keys);
    }

    /// <summary>Connections online now.</summary>
    public int Online => Volatile.Read(ref _online) - Volatile.Read(ref _dropped);

    /// <summary>Logins that failed.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Logins started.</summary>
    public int Attempted => Volatile.Read(ref _attempted);

    /// <summary>Online connections that the server (or the network) ended.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>The first drop's reason.</summary>
    public string? FirstDrop => _firstDrop;

    /// <summary>The logged-in connections, by plan index (null where the login failed).</summary>
    public IReadOnlyList<BenchConnection?> Connections => _connections;

    /// <summary>Plans <paramref name="count"/> connections for users <paramref name="firstUser"/>.. over targets and source addresses.</summary>
    public static List<ConnectionPlan> Plan(BenchOptions o, int firstUser, int count, IReadOnlyList<XmppEndpoint> targets, int firstIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(targets);
        var plans = new List<ConnectionPlan>(count);
        for (var i = 0; i < count; i++)
        {
            var target = targets[i % targets.Count];
            var sources = LoopbackGuard.SourceAddresses(target.Address.AddressFamily, o.SourceAddresses);
            var n = firstIndex + i;
            plans.Add(new ConnectionPlan(n, o.UserName(firstUser + i), target, sources[n % sources.Count]));
        }

        return plans;
    }

    /// <summary>Logs every plan in; returns the login phase's result.</summary>
    public async Task<LoginResult> LoginAllAsync(IReadOnlyList<ConnectionPlan> plans, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plans);
        var cpu = new CpuMeter(_options.ServerPid);
        _connections = new BenchConnection?[plans.Max(p => p.Index) + 1];
        var started = Stopwatch.GetTimestamp();
        Volatile.Write(ref _lastOnlineTimestamp, started);
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(ct);
        phase.CancelAfter(_options.LoginPhaseTimeout);
        using var gate = new SemaphoreSlim(_options.Concurrency);
        var tasks = new List<Task>(plans.Count);
        foreach (var plan in plans)
        {
            try
            {
                await gate.WaitAsync(phase.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Interlocked.Increment(ref _attempted);
            tasks.Add(LoginOneAsync(plan, gate, phase.Token));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started, Volatile.Read(ref _lastOnlineTimestamp)).TotalSeconds;
        var succeeded = Volatile.Read(ref _online);
        var notStarted = plans.Count - Attempted;
        if (notStarted > 0)
        {
            _failureReasons.AddOrUpdate("not-started (phase timeout)", notStarted, (_, n) => n + notStarted);
        }

        return new LoginResult
        {
            Attempted = plans.Count,
            Succeeded = succeeded,
            Failed = plans.Count - succeeded,
            SecondsToAllOnline = Math.Round(seconds, 3),
            LoginsPerSecond = seconds > 0 ? Math.Round(succeeded / seconds, 1) : 0,
            Concurrency = _options.Concurrency,
            Latency = LatencySummary.FromMicroseconds(_loginLatency),
            FailureReasons = new Dictionary<string, int>(_failureReasons, StringComparer.Ordinal),
            FirstError = _firstError,
            ScramKeysDerived = _login.Keys.Derived,
            BenchCpuSeconds = Math.Round(cpu.OwnCpu.TotalSeconds, 3),
            ServerCpuSeconds = cpu.ServerCpu is { } s ? Math.Round(s.TotalSeconds, 3) : null,
        };
    }

    /// <summary>Closes every connection politely (closing stream tag, then the socket), all at once.</summary>
    public async Task CloseAllAsync()
    {
        var tasks = new List<Task>(_connections.Length);
        foreach (var c in _connections)
        {
            if (c is not null)
            {
                tasks.Add(c.CloseAsync(TimeSpan.FromSeconds(3)));
            }
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(CloseAllAsync());

    /// <inheritdoc />
    public void OnStanza(BenchConnection connection, ReadOnlySpan<byte> stanza) => _inner?.OnStanza(connection, stanza);

    /// <inheritdoc />
    public void OnClosed(BenchConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!connection.ClosedByUs)
        {
            Interlocked.Increment(ref _dropped);
            Interlocked.CompareExchange(ref _firstDrop, $"{connection.User}: {connection.CloseReason}", null);
        }

        _inner?.OnClosed(connection);
    }

    private async Task LoginOneAsync(ConnectionPlan plan, SemaphoreSlim gate, CancellationToken phase)
    {
        var started = Stopwatch.GetTimestamp();
        BenchConnection? c = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(phase);
            timeout.CancelAfter(_options.LoginTimeout);
            try
            {
                c = await BenchConnection.ConnectAsync(plan.Index, plan.User, plan.Target, plan.Source, timeout.Token).ConfigureAwait(false);
                await XmppLogin.LoginAsync(c, _login, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new XmppLoginException("timeout", $"No login within {_options.LoginTimeout.TotalSeconds} s");
            }

            _loginLatency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            _connections[plan.Index] = c;
            c.StartReceiving(this);
            Interlocked.Increment(ref _online);
            var now = Stopwatch.GetTimestamp();
            var last = Volatile.Read(ref _lastOnlineTimestamp);
            while (now > last)
            {
                var seen = Interlocked.CompareExchange(ref _lastOnlineTimestamp, now, last);
                if (seen == last)
                {
                    break;
                }

                last = seen;
            }
        }
        catch (Exception e)
        {
            var reason = e switch
            {
                XmppLoginException x => x.Reason,
                System.Net.Sockets.SocketException s => "socket:" + s.SocketErrorCode,
                System.Security.Authentication.AuthenticationException => "tls-handshake",
                _ => e.GetType().Name,
            };
            _failureReasons.AddOrUpdate(reason, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstError, $"{plan.User} via {plan.Source} → {plan.Target}: {e.Message}", null);
            if (c is not null)
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
