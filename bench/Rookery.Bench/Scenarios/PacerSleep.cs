using System.Runtime.InteropServices;

namespace Rookery.Bench.Scenarios;

/// <summary>
/// Sleeps for less than a millisecond where the system allows it. <see cref="Thread.Sleep(int)"/> counts whole
/// milliseconds (about 1.1 ms on Linux), so a pacer that sleeps with it writes each millisecond's messages in one burst
/// (≈ 85 at 85,000 msg/s); <c>clock_nanosleep</c> on CLOCK_MONOTONIC wakes after the request plus the thread's timer
/// slack (50 µs by default), which lets the pacer spread the same messages over several smaller bursts without spinning
/// on the core it shares with the receive side. Elsewhere, or if libc cannot be bound, it falls back to
/// <see cref="Thread.Sleep(int)"/> with at least one millisecond.
/// </summary>
internal static class PacerSleep
{
    private const int ClockMonotonic = 1;
    private static bool s_native = OperatingSystem.IsLinux();

    /// <summary>True while sub-millisecond sleeps are available (Linux with glibc).</summary>
    public static bool IsPrecise => s_native;

    /// <summary>Sleeps at least <paramref name="duration"/> (at least 1 ms without <see cref="IsPrecise"/>).</summary>
    public static void Sleep(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        if (s_native)
        {
            try
            {
                var ticks = duration.Ticks;
                var request = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
                // The result is an error number, not -1 with errno; EINTR ends the sleep early, which the pacer's
                // loop tolerates (it looks at the clock again).
                _ = ClockNanosleep(ClockMonotonic, 0, ref request, IntPtr.Zero);
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
            {
                s_native = false;
            }
        }

        Thread.Sleep(Math.Max(1, (int)Math.Ceiling(duration.TotalMilliseconds)));
    }

    [DllImport("libc.so.6", EntryPoint = "clock_nanosleep", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockNanosleep(int clock, int flags, ref Timespec request, IntPtr remain);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
