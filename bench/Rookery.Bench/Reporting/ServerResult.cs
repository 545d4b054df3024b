namespace Rookery.Bench.Reporting;

/// <summary>What /proc says about the server process over the run.</summary>
internal sealed class ServerResult
{
    /// <summary>The server's PID.</summary>
    public int Pid { get; init; }

    /// <summary>RSS before the scenario, KiB.</summary>
    public long? RssBeforeKiB { get; init; }

    /// <summary>RSS after the scenario (before disconnecting), KiB.</summary>
    public long? RssAfterKiB { get; init; }

    /// <summary>Server CPU over the run, seconds.</summary>
    public double? CpuSeconds { get; init; }

    /// <summary>Server CPU over the run, % of one core.</summary>
    public double? CpuPercent { get; init; }
}
