using Rookery.Bench.Metrics;

namespace Rookery.Bench.Reporting;

/// <summary>One offered rate of the messaging step-up and what came of it.</summary>
internal sealed class MessagingStep
{
    /// <summary>Offered aggregate rate, messages per second.</summary>
    public int OfferedRate { get; init; }

    /// <summary>Step length, seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Messages written during the step.</summary>
    public long Sent { get; init; }

    /// <summary>Bench messages received during the step.</summary>
    public long Delivered { get; init; }

    /// <summary>Error stanzas received during the step.</summary>
    public long Errors { get; init; }

    /// <summary>Sent / Seconds.</summary>
    public double SentRate { get; init; }

    /// <summary>Delivered / Seconds.</summary>
    public double DeliveredRate { get; init; }

    /// <summary>End-to-end latency of the messages received during the step.</summary>
    public required LatencySummary Latency { get; init; }

    /// <summary>Bench CPU during the step, % of one core.</summary>
    public double BenchCpuPercent { get; init; }

    /// <summary>Server CPU during the step, % of one core, when known.</summary>
    public double? ServerCpuPercent { get; init; }

    /// <summary>True when the server kept up (see <see cref="Verdict"/>).</summary>
    public bool Sustained { get; init; }

    /// <summary><c>ok</c>, or why the step was not sustained.</summary>
    public required string Verdict { get; init; }

    /// <summary>Messages the pacer skipped because it had fallen more than its longest burst behind (not sent, not owed).</summary>
    public long Skipped { get; init; }

    /// <summary>Pacer wake-ups that wrote at least one message.</summary>
    public long Bursts { get; init; }

    /// <summary>The most messages the pacer owed at one wake-up (the largest burst the server saw from it).</summary>
    public long LargestBurst { get; init; }

    /// <summary>How late the pacer was, per burst, for the oldest message it owed (not counted in <see cref="Latency"/>).</summary>
    public LatencySummary? PacerLag { get; init; }
}
