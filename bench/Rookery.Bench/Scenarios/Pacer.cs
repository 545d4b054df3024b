using Rookery.Bench.Metrics;

namespace Rookery.Bench.Scenarios;

/// <summary>
/// The messaging pacer's schedule for one rate step, on <see cref="System.Diagnostics.Stopwatch"/> ticks passed in by
/// the caller (so tests drive it with a fake clock). Message <c>n</c> of the step is due at <c>start + n / rate</c>; at
/// each wake-up the pacer owes every message due by then that it has not sent. A debt larger than
/// <see cref="MaxDebt"/> (the generator was held up: a scheduler slice on a busy core, its own collection) is forgiven
/// and counted in <see cref="Skipped"/> rather than written in one burst: a burst of many milliseconds of traffic makes
/// the server's queue, and so the measured latency, longer than steady clients would (issue #6: the tail at half the
/// maximum rate). Messages are stamped when they are written, so the generator's own lateness is never counted as
/// latency; <see cref="Lag"/> records it separately, with the size of every burst, so a report shows whether the
/// pacing was even.
/// </summary>
internal sealed class Pacer
{
    /// <summary>
    /// The debt cap never goes below this many messages: a burst this small costs a server well under a millisecond, and
    /// at low rates (80/s in the smoke runs) a cap of 5 ms would be a single message, skipped whenever a loaded machine
    /// wakes the pacer a little late.
    /// </summary>
    public const long MinDebt = 64;

    private readonly long _start;
    private readonly long _frequency;
    private readonly double _ticksPerMessage;

    /// <summary>Starts a step at <paramref name="start"/> offering <paramref name="rate"/> messages per second.</summary>
    /// <param name="rate">Messages per second, at least 1.</param>
    /// <param name="start">Stopwatch ticks at which message 0 is due.</param>
    /// <param name="frequency">Stopwatch ticks per second.</param>
    /// <param name="maxDebt">The longest stretch of traffic written in one burst (at least <see cref="MinDebt"/> messages); older debt is skipped.</param>
    public Pacer(int rate, long start, long frequency, TimeSpan maxDebt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(frequency, 1);
        Rate = rate;
        _start = start;
        _frequency = frequency;
        _ticksPerMessage = (double)frequency / rate;
        MaxDebt = Math.Max(MinDebt, (long)Math.Ceiling(rate * maxDebt.TotalSeconds));
    }

    /// <summary>The offered rate, messages per second.</summary>
    public int Rate { get; }

    /// <summary>The most messages owed at once; a larger debt is skipped down to this.</summary>
    public long MaxDebt { get; }

    /// <summary>Messages written so far (reported through <see cref="OnSent"/>).</summary>
    public long Sent { get; private set; }

    /// <summary>Messages forgiven because the generator fell more than <see cref="MaxDebt"/> behind.</summary>
    public long Skipped { get; private set; }

    /// <summary>Wake-ups that owed at least one message.</summary>
    public long Bursts { get; private set; }

    /// <summary>The most messages owed at one wake-up.</summary>
    public long LargestBurst { get; private set; }

    /// <summary>Per burst: how late its oldest message was, microseconds (before any skip).</summary>
    public LatencyHistogram Lag { get; } = new();

    /// <summary>
    /// Messages owed at <paramref name="now"/>: due and neither sent nor skipped, at most <see cref="MaxDebt"/>. A
    /// non-zero answer is one burst: its size and lag are recorded.
    /// </summary>
    public long Owed(long now)
    {
        var done = Sent + Skipped;
        // Rounded up: message 0 is due at the start, so the first message of a step goes out at once.
        var due = (long)Math.Ceiling((now - _start) / _ticksPerMessage);
        var owed = due - done;
        if (owed <= 0)
        {
            return 0;
        }

        Lag.Record((long)((now - DueAt(done)) * 1_000_000.0 / _frequency));
        if (owed > MaxDebt)
        {
            Skipped += owed - MaxDebt;
            owed = MaxDebt;
        }

        Bursts++;
        LargestBurst = Math.Max(LargestBurst, owed);
        return owed;
    }

    /// <summary>Counts <paramref name="count"/> messages written.</summary>
    public void OnSent(long count) => Sent += count;

    /// <summary>Stopwatch ticks at which the next unsent message is due.</summary>
    public long NextDue => DueAt(Sent + Skipped);

    private long DueAt(long message) => _start + (long)(message * _ticksPerMessage);
}
