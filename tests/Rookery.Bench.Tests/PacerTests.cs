using System.Diagnostics;
using Rookery.Bench.Scenarios;
using Rookery.Cluster.Links;

namespace Rookery.Bench.Tests;

/// <summary>The messaging pacer's schedule, driven by a fake clock (timestamps passed in), and its sleep.</summary>
public sealed class PacerTests
{
    private const long Frequency = 1_000_000_000; // nanosecond ticks, as Stopwatch on Linux
    private const long Micro = Frequency / 1_000_000;
    private static readonly TimeSpan MaxDebt = TimeSpan.FromMilliseconds(5);

    [Fact]
    public void Owed_AtTheStart_TheFirstMessageGoesAtOnce()
    {
        var pacer = new Pacer(85_000, start: 1_000, Frequency, MaxDebt);
        pacer.Owed(1_000).Should().Be(0, "nothing is due before the step has begun");
        pacer.Owed(1_001).Should().Be(1);
    }

    [Theory]
    [InlineData(200, 17)]
    [InlineData(1_000, 85)]
    public void Owed_WokenEveryTick_BurstsAreATicksWorth(int tickMicros, int largest)
    {
        // 85,000 msg/s for one second, woken every tick: every message goes out, in bursts no larger than a tick's
        // traffic (rounded up), and a 200 µs tick makes them nearly five times smaller than a millisecond's sleep.
        var pacer = new Pacer(85_000, start: 0, Frequency, MaxDebt);
        for (long now = 0; now <= Frequency; now += tickMicros * Micro)
        {
            var owed = pacer.Owed(now);
            owed.Should().BeLessThanOrEqualTo(largest);
            pacer.OnSent(owed);
        }

        pacer.Sent.Should().Be(85_000);
        pacer.Skipped.Should().Be(0);
        pacer.LargestBurst.Should().Be(largest);
        pacer.Lag.Max.Should().BeLessThanOrEqualTo(tickMicros, "a message waits at most one tick for its burst");
    }

    [Fact]
    public void Owed_AfterAStall_SendsAtMostMaxDebtAndCountsTheRestAsSkipped()
    {
        var pacer = new Pacer(85_000, start: 0, Frequency, MaxDebt);
        pacer.OnSent(pacer.Owed(1));

        // The pacer was held up for 30 ms: 2,550 messages are due, only 5 ms of them (425) go out in the burst.
        var owed = pacer.Owed(30_000 * Micro);
        owed.Should().Be(425);
        pacer.Skipped.Should().Be(2_550 - 1 - 425);
        pacer.OnSent(owed);
        pacer.Lag.Max.Should().BeInRange(29_980, 30_000, "the lag of the burst's oldest message is recorded, not hidden");
        pacer.Owed(30_000 * Micro).Should().Be(0, "the skipped messages are not owed again");
        pacer.NextDue.Should().Be(30_000 * Micro, "message 2,550 is owed just after its slot");
    }

    [Fact]
    public void Owed_LowRateLateWakeUp_CatchesUpWithoutSkipping()
    {
        // 80 msg/s (the smoke runs): 5 ms is less than one message, so the cap is MinDebt messages, and a wake-up 200 ms
        // late on a loaded machine sends the 15 messages it owes instead of skipping all but one.
        var pacer = new Pacer(80, start: 0, Frequency, MaxDebt);
        pacer.MaxDebt.Should().Be(Pacer.MinDebt);
        pacer.OnSent(pacer.Owed(1));
        pacer.Owed(200_000 * Micro).Should().Be(15);
        pacer.Skipped.Should().Be(0);
    }

    [Fact]
    public void NextDue_AtALowRate_IsTheNextMessagesSlot()
    {
        // 500 msg/s: one message every 2 ms, so the pacer sleeps until the next slot rather than waking every tick.
        var pacer = new Pacer(500, start: 0, Frequency, MaxDebt);
        pacer.OnSent(pacer.Owed(1));
        pacer.NextDue.Should().Be(2_000 * Micro);
        pacer.Owed(1_999 * Micro).Should().Be(0);
        pacer.Owed(2_000 * Micro + 1).Should().Be(1);
    }

    [Fact]
    public void Owed_OverAWholeStep_SendsRateTimesSecondsWithoutDrift()
    {
        // 7 msg/s on a clock of 10 ticks per second: the slots fall between ticks, and rounding must neither lose nor
        // add a message over the step.
        var pacer = new Pacer(7, start: 0, frequency: 10, MaxDebt);
        for (long now = 1; now <= 100; now++)
        {
            pacer.OnSent(pacer.Owed(now));
        }

        pacer.Sent.Should().Be(70);
        pacer.Skipped.Should().Be(0);
    }

    [Fact]
    public void Sleep_ShortRequest_SleepsLessThanAMillisecondOnLinux()
    {
        PreciseSleep.IsPrecise.Should().Be(OperatingSystem.IsLinux());
        if (!OperatingSystem.IsLinux())
        {
            return; // whole milliseconds elsewhere
        }

        var shortest = TimeSpan.MaxValue;
        for (var i = 0; i < 20; i++)
        {
            var t = Stopwatch.GetTimestamp();
            PreciseSleep.Sleep(TimeSpan.FromMicroseconds(200));
            var took = Stopwatch.GetElapsedTime(t);
            took.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMicroseconds(200));
            shortest = took < shortest ? took : shortest;
        }

        // Thread.Sleep(1) never returns in less than a millisecond; the shortest of twenty is what the loaded machine
        // cannot stretch (a busy core delays some wake-ups, rarely all of them).
        shortest.Should().BeLessThan(TimeSpan.FromMilliseconds(0.9));
    }
}
