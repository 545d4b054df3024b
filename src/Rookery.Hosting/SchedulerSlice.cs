using System.Globalization;
using System.Runtime.InteropServices;

namespace Rookery.Hosting;

/// <summary>
/// Sets the scheduler time slice of every thread of this process (<c>Process:SchedulerSlice</c>), on Linux 6.12 or later,
/// where the EEVDF scheduler takes a per-thread slice from <c>sched_setattr</c>'s <c>sched_runtime</c> without privilege.
/// </summary>
/// <remarks>
/// A thread with a shorter slice gets an earlier virtual deadline, so when it wakes (a stanza arrived) on a core that
/// another busy process holds, it runs sooner instead of waiting out that process's slice; its share of the core stays
/// the same. That is what a node sharing its cores with another node (a small cluster on one machine, or containers
/// packed onto shared cores) needs for latency: each forwarded stanza is a wake-up in the other process
/// (docs/benchmarks.md, "Cross-node"). The cost is more context switches while the core is contended. Threads created
/// later inherit the slice from the thread that creates them, so it is applied once, at start-up, to the threads that
/// exist. Elsewhere (another system, an older kernel) nothing changes and <see cref="Apply"/> says why.
/// </remarks>
public static class SchedulerSlice
{
    /// <summary>The shortest slice Linux accepts (0.1 ms).</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromMicroseconds(100);

    /// <summary>The longest slice Linux accepts (100 ms).</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromMilliseconds(100);

    private const int SchedOther = 0;
    private const int PrioProcess = 0;

    /// <summary>
    /// Gives every thread of the process the slice <paramref name="slice"/>, keeping each thread's nice value. Returns
    /// null when it was applied, else why not (not Linux, an architecture without a known system call number, or the
    /// kernel refused: before 6.12 a slice is not a parameter of ordinary threads).
    /// </summary>
    public static string? Apply(TimeSpan slice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "scheduler slices are a Linux feature";
        }

        if (SchedSetattrNumber() is not { } number)
        {
            return $"no sched_setattr system call number is known for {RuntimeInformation.ProcessArchitecture}";
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
            {
                continue;
            }

            var attributes = new SchedAttr
            {
                Size = (uint)Marshal.SizeOf<SchedAttr>(),
                Policy = SchedOther,
                Nice = GetPriority(PrioProcess, tid), // sched_setattr sets the nice value too: keep the thread's own
                Runtime = (ulong)(slice.Ticks * 100), // nanoseconds
            };
            if (SchedSetattr(number, tid, ref attributes, 0) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == 3)
                {
                    continue; // ESRCH: the thread ended meanwhile
                }

                return $"the kernel refused a slice for thread {tid} ({Marshal.GetPInvokeErrorMessage(errno)}; Linux 6.12 or later is needed)";
            }
        }

        return null;
    }

    private static long? SchedSetattrNumber() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 314,
        Architecture.Arm64 => 274,
        _ => null,
    };

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
    }

    [DllImport("libc.so.6", EntryPoint = "syscall", ExactSpelling = true, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long SchedSetattr(long number, int tid, ref SchedAttr attributes, uint flags);

    [DllImport("libc.so.6", EntryPoint = "getpriority", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetPriority(int which, int who);
}
