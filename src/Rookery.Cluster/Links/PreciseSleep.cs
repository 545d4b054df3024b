using System.Runtime.InteropServices;

namespace Rookery.Cluster.Links;

/// <summary>
/// Sleeps for less than a millisecond where the system allows it. <see cref="Thread.Sleep(int)"/> and timers count whole
/// milliseconds (about 1.1 ms on Linux, and often two); <c>clock_nanosleep</c> on CLOCK_MONOTONIC wakes after the
/// request plus the thread's timer slack (50 µs by default), without spinning on a core that other threads need.
/// Elsewhere, or if libc cannot be bound, it falls back to <see cref="Thread.Sleep(int)"/> with at least one millisecond.
/// Used by the node links' write pacer (<c>LinkWritePacer</c>) and, as a linked source file, by rookery-bench's
/// message pacer, which has no reference to the server's assemblies.
/// </summary>
internal static class PreciseSleep
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
                // The result is an error number, not -1 with errno; EINTR ends the sleep early, which the callers'
                // loops tolerate (they look at the clock again).
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
