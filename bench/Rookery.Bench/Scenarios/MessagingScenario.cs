using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rookery.Bench.Metrics;
using Rookery.Bench.Net;
using Rookery.Bench.Reporting;
using Rookery.Cluster.Links;

namespace Rookery.Bench.Scenarios;

/// <summary>
/// Messaging and cross-node: online users send chat messages to random online peers at a fixed aggregate rate, stepped
/// up until delivery falls behind. A pacer thread writes pre-serialised messages (only the recipient prefix and the
/// Stopwatch timestamp in the body change), a few per sender per write, in bursts of at most a tick's worth
/// (<see cref="Pacer"/>); each connection's read loop parses the timestamp back out and records the end-to-end latency
/// (to the moment the read that brought it returned) in a shared histogram. Every sent message is accounted
/// for: delivered, bounced (error), or lost after the drain. In the <c>muc</c> mode the users first enter their rooms
/// (<see cref="MucRooms"/>) and send groupchat messages instead: each one is owed to every occupant of its room, the
/// sender included (XEP-0045 §7.4 reflects it), so the accounting is in deliveries rather than messages.
/// </summary>
internal sealed class MessagingScenario : IStanzaHandler
{
    private const int MaxPendingBytes = 1 << 20;
    private readonly BenchContext _ctx;
    private readonly bool _crossNode;
    private readonly MucRooms? _muc;
    private readonly double _ticksToMicros = 1_000_000.0 / Stopwatch.Frequency;
    private readonly List<LatencyHistogram> _stepHistograms = [];
    private LatencyHistogram _current = new();
    private BenchConnection[] _senders = [];
    private BenchConnection[] _receivers = [];
    private long _errors;
    private long _sent;
    private long _expected;
    private long _errorWeight;
    private long _backpressure;
    private long _replayed;
    // Stopwatch stamps are CLOCK_MONOTONIC, one clock for every process of the machine: a body stamped before this run
    // started was sent by an earlier run (or an earlier bench process) and is not a delivery this run owes.
    private readonly long _runStarted = Stopwatch.GetTimestamp();
    private int _stepRate;
    private int _stepNumber;

    private MessagingScenario(BenchContext ctx, bool crossNode, MucRooms? muc)
    {
        _ctx = ctx;
        _crossNode = crossNode;
        _muc = muc;
    }

    private static ReadOnlySpan<byte> Suffix => "</body></message>"u8;

    /// <summary>Runs the scenario and fills <see cref="BenchResult.Login"/> and <see cref="BenchResult.Messaging"/>.</summary>
    public static Task RunAsync(BenchContext ctx, BenchResult result, bool crossNode, CancellationToken ct) =>
        new MessagingScenario(ctx, crossNode, null).RunCoreAsync(result, ct);

    /// <summary>Runs the muc scenario: enter the rooms, then groupchat at stepped-up rates; fills <see cref="BenchResult.Messaging"/>.</summary>
    public static Task RunMucAsync(BenchContext ctx, BenchResult result, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        return new MessagingScenario(ctx, crossNode: false, new MucRooms(ctx.Options)).RunCoreAsync(result, ct);
    }

    /// <inheritdoc />
    public void OnStanza(BenchConnection connection, ReadOnlySpan<byte> stanza)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_muc is not null && _muc.OnStanza(connection, stanza))
        {
            return;
        }

        var isError = XmlSpan.TryGetAttribute(stanza, "type"u8, out var type) && type.SequenceEqual("error"u8);
        if (isError)
        {
            Interlocked.Increment(ref _errors);
            // A bounced groupchat message reaches nobody: it owes its room's occupants nothing more.
            Interlocked.Add(ref _errorWeight, _muc is null ? 1 : _muc.Occupants(_muc.RoomOf(connection.Index)));
            return;
        }

        if (!XmlSpan.IsNamed(stanza, "message"u8))
        {
            return;
        }

        var body = XmlSpan.FindDescendant(stanza, "body"u8);
        if (body < 0 || !XmlSpan.TryParseInt64(XmlSpan.TextAt(stanza, body), out var sentAt))
        {
            return; // not one of ours (a server notice)
        }

        if (sentAt < _runStarted)
        {
            // An earlier run's message, delivered now: offline storage flushed at this login (RFC 6121 §8.5.2.2.1: the
            // earlier run's connections had closed before it arrived), or room history. Counting it as delivered made
            // a muc run after a messaging run report more deliveries than owed (16,086 of 16,000, docs/benchmarks.md).
            Interlocked.Increment(ref _replayed);
            return;
        }

        Volatile.Read(ref _current).Record((long)((connection.LastReadAt - sentAt) * _ticksToMicros));
        connection.CountDelivered();
    }

    /// <inheritdoc />
    public void OnClosed(BenchConnection connection)
    {
    }

    private long Delivered()
    {
        long sum = 0;
        foreach (var r in _receivers)
        {
            sum += r.Delivered;
        }

        return sum;
    }

    private async Task RunCoreAsync(BenchResult result, CancellationToken ct)
    {
        var o = _ctx.Options;
        var swarm = new Swarm(o, _ctx.Keys, this);
        await using (swarm.ConfigureAwait(false))
        {
            var senderCount = _crossNode ? o.Users / 2 : o.Users;
            var plans = Swarm.Plan(o, 0, senderCount, o.Targets);
            if (_crossNode)
            {
                plans.AddRange(Swarm.Plan(o, senderCount, o.Users - senderCount, o.ReceiverTargets, senderCount));
            }

            var started = Stopwatch.GetTimestamp();
            var name = _muc is not null ? "muc" : _crossNode ? "cross-node" : "messaging";
            var progress = _ctx.StartProgress(() => Render(name, swarm, started));
            await using (progress.ConfigureAwait(false))
            {
                result.Login = await swarm.LoginAllAsync(plans, ct).ConfigureAwait(false);
                var online = swarm.Connections;
                var messaging = new MessagingResult();
                result.Messaging = messaging;
                if (_muc is not null)
                {
                    await _muc.JoinAllAsync(online, ct).ConfigureAwait(false);
                    messaging.Rooms = _muc.Rooms;
                    messaging.JoinFailures = _muc.Failures;
                    messaging.FirstJoinError = _muc.FirstError;
                    _senders = [.. online.OfType<BenchConnection>().Where(c => _muc.IsJoined(c.Index))];
                    _receivers = _senders;
                }
                else
                {
                    _senders = [.. online.Take(senderCount).OfType<BenchConnection>()];
                    _receivers = _crossNode ? [.. online.Skip(senderCount).OfType<BenchConnection>()] : _senders;
                }

                messaging.Senders = _senders.Length;
                messaging.Receivers = _receivers.Length;
                if (_senders.Length == 0 || _receivers.Length == 0 || (!_crossNode && _muc is null && _senders.Length < 2))
                {
                    messaging.StopReason = "not enough users online";
                    return;
                }

                foreach (var r in _receivers)
                {
                    r.MessagePrefix = Encoding.UTF8.GetBytes($"<message to='{XmlSpan.Escape(r.Jid!)}' type='chat'><body>");
                }

                var cpu = new CpuMeter(o.ServerPid);
                var allocated0 = GC.GetTotalAllocatedBytes();
                var gen0 = GC.CollectionCount(0);
                await RunPacerAsync(messaging, swarm, ct).ConfigureAwait(false);

                // Drain: wait for what is still in flight, then account for every message.
                var drainStarted = Stopwatch.GetTimestamp();
                while (Stopwatch.GetElapsedTime(drainStarted) < o.Drain && Delivered() + Volatile.Read(ref _errorWeight) < Volatile.Read(ref _expected))
                {
                    await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
                }

                var all = new LatencyHistogram();
                foreach (var h in _stepHistograms)
                {
                    all.Add(h);
                }

                messaging.DrainSeconds = Math.Round(Stopwatch.GetElapsedTime(drainStarted).TotalSeconds, 2);
                messaging.Sent = Volatile.Read(ref _sent);
                messaging.Delivered = Delivered();
                messaging.Errors = Volatile.Read(ref _errors);
                messaging.Replayed = Volatile.Read(ref _replayed);
                var expected = Volatile.Read(ref _expected);
                messaging.ExpectedDeliveries = _muc is null ? null : expected;
                messaging.Lost = expected - messaging.Delivered;
                messaging.Latency = LatencySummary.FromMicroseconds(all);
                messaging.Dropped = swarm.Dropped;
                messaging.BackpressureSkips = Volatile.Read(ref _backpressure);
                var cpuSeconds = cpu.OwnCpu.TotalSeconds;
                messaging.BenchCpuSeconds = Math.Round(cpuSeconds, 3);
                messaging.BenchGen0Collections = GC.CollectionCount(0) - gen0;
                if (messaging.Sent > 0)
                {
                    messaging.BenchAllocatedBytesPerMessage = Math.Round((double)(GC.GetTotalAllocatedBytes() - allocated0) / messaging.Sent, 2);
                    // Each message costs the bench one send and one receive; when delivery lags, average the two counts.
                    var perMessage = cpuSeconds * 1e6 / ((messaging.Sent + messaging.Delivered) / 2.0);
                    messaging.BenchMicrosecondsPerMessage = Math.Round(perMessage, 3);
                    messaging.MessagesPerBenchCoreSecond = perMessage > 0 ? Math.Round(1e6 / perMessage) : 0;
                }

                _ctx.CaptureServerRss();
            }
        }
    }

    private string Render(string name, Swarm swarm, long started)
    {
        var t = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (_stepNumber == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"[{name}] {t:F1}s login: online {swarm.Online}/{_ctx.Options.Users} failed {swarm.Failed}");
        }

        var p99 = Volatile.Read(ref _current).ValueAtPercentile(99) / 1000.0;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{name}] {t:F1}s step {_stepNumber} @ {_stepRate:N0}/s sent {Volatile.Read(ref _sent):N0} delivered {Delivered():N0} errors {Volatile.Read(ref _errors)} online {swarm.Online} dropped {swarm.Dropped} p99 {p99:F2} ms");
    }

    private Task RunPacerAsync(MessagingResult messaging, Swarm swarm, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Pace(messaging, swarm, ct);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "bench-pacer",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>The step loop, on its own thread: one offered rate per step until a step is not sustained.</summary>
    private void Pace(MessagingResult messaging, Swarm swarm, CancellationToken ct)
    {
        var o = _ctx.Options;
        var freq = Stopwatch.Frequency;
        var rng = new FastRandom(o.Seed);
        var scratch = new byte[1 << 20];
        var deadline = Stopwatch.GetTimestamp() + (long)(o.Duration.TotalSeconds * freq);
        var stepTicks = (long)(o.StepDuration.TotalSeconds * freq);
        var cursor = 0;
        var rate = o.RateStart;
        messaging.StopReason = "reached --rate-max";
        while (rate <= o.RateMax)
        {
            if (ct.IsCancellationRequested)
            {
                messaging.StopReason = "cancelled";
                break;
            }

            var t0 = Stopwatch.GetTimestamp();
            if (t0 >= deadline)
            {
                messaging.StopReason = "reached --duration";
                break;
            }

            var histogram = new LatencyHistogram();
            _stepHistograms.Add(histogram);
            Volatile.Write(ref _current, histogram);
            _stepRate = rate;
            _stepNumber++;
            var stepCpu = new CpuMeter(o.ServerPid);
            var delivered0 = Delivered();
            var expected0 = Volatile.Read(ref _expected);
            var errors0 = Volatile.Read(ref _errors);
            var dropped0 = swarm.Dropped;
            var backpressure0 = _backpressure;
            var stepEnd = Math.Min(t0 + stepTicks, deadline);
            // A few messages per sender per write once the rate is high: that is what batching clients do, and it keeps
            // the generator's system calls per message low. At low rates every message is its own write.
            var burst = o.Batch ?? Math.Clamp(rate / 20_000, 1, 16);
            var pacer = new Pacer(rate, t0, freq, o.MaxPacerDebt);
            var tickTicks = (long)(o.Tick.TotalSeconds * freq);
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= stepEnd || ct.IsCancellationRequested)
                {
                    break;
                }

                var owed = pacer.Owed(now);
                if (owed <= 0)
                {
                    // Until the next message is due, but at least one tick: each burst is then at most a tick's worth
                    // of messages (issue #6: a millisecond's worth at once queued in the server and showed as latency).
                    SleepTicks(Math.Min(Math.Max(tickTicks, pacer.NextDue - now), Math.Min(stepEnd - now, freq / 20)), freq);
                    continue;
                }

                var blocked = 0;
                while (owed > 0 && blocked < _senders.Length)
                {
                    var senderIndex = cursor;
                    var sender = _senders[cursor];
                    cursor = cursor + 1 == _senders.Length ? 0 : cursor + 1;
                    if (sender.IsClosed || sender.PendingBytes > MaxPendingBytes)
                    {
                        blocked++;
                        if (!sender.IsClosed)
                        {
                            _backpressure++;
                        }

                        continue;
                    }

                    blocked = 0;
                    var k = (int)Math.Min(burst, owed);
                    var length = _muc is null ? Compose(senderIndex, k, ref rng, scratch) : ComposeGroupchat(sender, k, scratch);
                    // Owed before written: a fast server's deliveries must never outrun the count they are judged by.
                    Volatile.Write(ref _expected, _expected + (_muc is null ? k : (long)k * _muc.Occupants(_muc.RoomOf(sender.Index))));
                    sender.Enqueue(scratch.AsSpan(0, length));
                    sender.Flush();
                    pacer.OnSent(k);
                    owed -= k;
                    Volatile.Write(ref _sent, _sent + k);
                }

                if (blocked >= _senders.Length)
                {
                    SleepTicks(tickTicks, freq);
                }
            }

            var stepSent = pacer.Sent;
            var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            // A pause before judging: the step's last messages are still in flight, and counting them against the step
            // would fail slow-but-keeping-up servers at low rates. It lasts as long as the latency the run accepts (a
            // message later than that is behind either way) and ends early once everything has arrived. A smoke run's
            // threshold is seconds: a loaded CI machine once took longer than the half second this used to be.
            var grace = Stopwatch.GetTimestamp() + (long)(o.P99Threshold.TotalSeconds * freq);
            while (Stopwatch.GetTimestamp() < grace && Delivered() + Volatile.Read(ref _errorWeight) < Volatile.Read(ref _expected))
            {
                Thread.Sleep(1);
            }

            var delivered = Delivered() - delivered0;
            var stepExpected = Volatile.Read(ref _expected) - expected0;
            var errors = Volatile.Read(ref _errors) - errors0;
            var latency = LatencySummary.FromMicroseconds(histogram);
            var sentRate = stepSent / seconds;
            var verdict = "ok";
            // Two messages of slack: at low rates one timer tick more or less is a few percent.
            if (stepSent + 2 < o.DeliveryRatio * rate * seconds)
            {
                verdict = _backpressure > backpressure0
                    ? string.Create(CultureInfo.InvariantCulture, $"server stopped reading (sent only {sentRate:N0}/s)")
                    : string.Create(CultureInfo.InvariantCulture, $"bench could not offer the rate (sent {sentRate:N0}/s)");
            }
            else if (delivered < o.DeliveryRatio * stepExpected)
            {
                verdict = string.Create(CultureInfo.InvariantCulture, $"delivery behind ({100.0 * delivered / Math.Max(1, stepExpected):F1} % of {(_muc is null ? "sent" : "owed")})");
            }
            else if (latency.P99Ms > o.P99Threshold.TotalMilliseconds)
            {
                verdict = string.Create(CultureInfo.InvariantCulture, $"p99 {latency.P99Ms:F1} ms > {o.P99Threshold.TotalMilliseconds:F0} ms");
            }
            else if (swarm.Dropped > dropped0)
            {
                verdict = $"{swarm.Dropped - dropped0} connections dropped";
            }

            messaging.Steps.Add(new MessagingStep
            {
                OfferedRate = rate,
                Seconds = Math.Round(seconds, 3),
                Sent = stepSent,
                Delivered = delivered,
                Errors = errors,
                SentRate = Math.Round(sentRate, 1),
                DeliveredRate = Math.Round(delivered / seconds, 1),
                Latency = latency,
                BenchCpuPercent = stepCpu.OwnPercent,
                ServerCpuPercent = stepCpu.ServerPercent,
                Sustained = verdict == "ok",
                Verdict = verdict,
                Skipped = pacer.Skipped,
                Bursts = pacer.Bursts,
                LargestBurst = pacer.LargestBurst,
                PacerLag = LatencySummary.FromMicroseconds(pacer.Lag),
            });

            if (verdict != "ok")
            {
                messaging.StopReason = "step at " + rate.ToString("N0", CultureInfo.InvariantCulture) + "/s: " + verdict;
                break;
            }

            messaging.MaxSustainedRate = rate;
            if (o.ConstantRate && Stopwatch.GetTimestamp() >= deadline)
            {
                break;
            }

            rate = o.NextRate(rate);
        }
    }

    private static void SleepTicks(long ticks, long frequency) => PreciseSleep.Sleep(TimeSpan.FromSeconds((double)ticks / frequency));

    /// <summary>Writes <paramref name="count"/> groupchat messages from <paramref name="sender"/> to its room.</summary>
    private int ComposeGroupchat(BenchConnection sender, int count, byte[] scratch)
    {
        var span = scratch.AsSpan();
        var length = 0;
        var stamp = Stopwatch.GetTimestamp();
        var prefix = _muc!.Prefix(_muc.RoomOf(sender.Index));
        for (var i = 0; i < count; i++)
        {
            prefix.CopyTo(span[length..]);
            length += prefix.Length;
            Utf8Formatter.TryFormat(stamp, span[length..], out var written);
            length += written;
            Suffix.CopyTo(span[length..]);
            length += Suffix.Length;
        }

        return length;
    }

    /// <summary>Writes <paramref name="count"/> messages from sender <paramref name="senderIndex"/> to random peers.</summary>
    private int Compose(int senderIndex, int count, ref FastRandom rng, byte[] scratch)
    {
        var span = scratch.AsSpan();
        var length = 0;
        var stamp = Stopwatch.GetTimestamp();
        var receivers = _receivers;
        for (var i = 0; i < count; i++)
        {
            int r;
            if (_crossNode)
            {
                r = rng.Next(receivers.Length);
            }
            else
            {
                // A random peer other than the sender itself.
                r = rng.Next(receivers.Length - 1);
                if (r >= senderIndex)
                {
                    r++;
                }
            }

            var prefix = receivers[r].MessagePrefix!;
            prefix.CopyTo(span[length..]);
            length += prefix.Length;
            Utf8Formatter.TryFormat(stamp, span[length..], out var written);
            length += written;
            Suffix.CopyTo(span[length..]);
            length += Suffix.Length;
        }

        return length;
    }
}
