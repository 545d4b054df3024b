using System.Diagnostics;
using System.Globalization;

namespace Rookery.Bench.Metrics;

/// <summary>
/// Reads another process's resident memory and CPU time from <c>/proc</c> (Linux), and this process's CPU time and
/// open-file limit; every reader returns null where the information is not available instead of failing the run.
/// </summary>
internal static class ProcessProbe
{
    /// <summary>Kernel clock ticks per second for <c>/proc/PID/stat</c> times; 100 on every mainstream Linux build.</summary>
    private const double ClockTicksPerSecond = 100.0;

    /// <summary>VmRSS of <paramref name="pid"/> in KiB, from <c>/proc/PID/status</c>.</summary>
    public static long? ReadRssKiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var parts = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>User + system CPU time of <paramref name="pid"/>, from <c>/proc/PID/stat</c>.</summary>
    public static TimeSpan? ReadCpuTime(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces and parentheses: the fields we need follow the last ')'.
            var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
            var ticks = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>This process's CPU time so far (user + system, all threads).</summary>
    public static TimeSpan OwnCpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>The soft limit on open files of this process, from <c>/proc/self/limits</c>.</summary>
    public static long? OpenFileLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return parts[0] == "unlimited" ? long.MaxValue : long.Parse(parts[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
