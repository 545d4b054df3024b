using System.Diagnostics;

namespace Rookery.Bench.Metrics;

/// <summary>
/// Measures the CPU used by this process and, when a server PID is known, by the server, over a window of wall time:
/// the load generator shares the machine with the server, so its own cost is part of every result.
/// </summary>
internal sealed class CpuMeter
{
    private readonly int? _serverPid;
    private readonly long _startTimestamp;
    private readonly TimeSpan _ownStart;
    private readonly TimeSpan? _serverStart;

    /// <summary>Starts a window now.</summary>
    public CpuMeter(int? serverPid)
    {
        _serverPid = serverPid;
        _startTimestamp = Stopwatch.GetTimestamp();
        _ownStart = ProcessProbe.OwnCpuTime();
        _serverStart = serverPid is { } pid ? ProcessProbe.ReadCpuTime(pid) : null;
    }

    /// <summary>Wall time since the window started.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp);

    /// <summary>CPU used by this process since the window started.</summary>
    public TimeSpan OwnCpu => ProcessProbe.OwnCpuTime() - _ownStart;

    /// <summary>CPU used by the server since the window started, when known.</summary>
    public TimeSpan? ServerCpu => _serverPid is { } pid && _serverStart is { } start && ProcessProbe.ReadCpuTime(pid) is { } now ? now - start : null;

    /// <summary>Own CPU as a percentage of one core over the window.</summary>
    public double OwnPercent => Percent(OwnCpu, Elapsed);

    /// <summary>Server CPU as a percentage of one core over the window, when known.</summary>
    public double? ServerPercent => ServerCpu is { } cpu ? Percent(cpu, Elapsed) : null;

    /// <summary><paramref name="cpu"/> as a percentage of one core over <paramref name="wall"/>.</summary>
    public static double Percent(TimeSpan cpu, TimeSpan wall) => wall <= TimeSpan.Zero ? 0 : Math.Round(100.0 * cpu.TotalSeconds / wall.TotalSeconds, 1);
}
