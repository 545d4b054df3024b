namespace Rookery.Bench.Reporting;

/// <summary>Idle connections held open and what they cost the server in memory.</summary>
internal sealed class IdleResult
{
    /// <summary>Connections online after the login phase.</summary>
    public int Connections { get; init; }

    /// <summary>How long they were held, seconds.</summary>
    public double HeldSeconds { get; init; }

    /// <summary>Connections the server ended while held.</summary>
    public int Dropped { get; init; }

    /// <summary>Server RSS before the first connection, KiB.</summary>
    public long? RssBeforeKiB { get; init; }

    /// <summary>Server RSS once all were online and settled, KiB.</summary>
    public long? RssOnlineKiB { get; init; }

    /// <summary>Server RSS at the end of the hold, KiB.</summary>
    public long? RssAfterHoldKiB { get; init; }

    /// <summary>(RSS at end of hold − RSS before) / connections, bytes.</summary>
    public double? BytesPerConnection { get; init; }

    /// <summary>Server CPU during the hold as a percentage of one core (idle connections should cost none).</summary>
    public double? ServerCpuPercentWhileHeld { get; init; }
}
