using Rookery.Bench.Metrics;

namespace Rookery.Bench.Reporting;

/// <summary>The messaging (or cross-node) step-up: per-step figures, the highest sustained rate, and the full accounting.</summary>
internal sealed class MessagingResult
{
    /// <summary>Online senders.</summary>
    public int Senders { get; set; }

    /// <summary>Online receivers.</summary>
    public int Receivers { get; set; }

    /// <summary>Every step run.</summary>
    public List<MessagingStep> Steps { get; init; } = [];

    /// <summary>The highest offered rate that was sustained (0 when none was).</summary>
    public int MaxSustainedRate { get; set; }

    /// <summary>Why stepping stopped.</summary>
    public string StopReason { get; set; } = string.Empty;

    /// <summary>Messages written in all steps.</summary>
    public long Sent { get; set; }

    /// <summary>Bench messages received, including during the drain.</summary>
    public long Delivered { get; set; }

    /// <summary>Error stanzas received (bounces).</summary>
    public long Errors { get; set; }

    /// <summary>
    /// Bench messages of an earlier run that arrived during this one (offline storage flushed at login, room history):
    /// neither sent nor owed by this run, so not counted as delivered.
    /// </summary>
    public long Replayed { get; set; }

    /// <summary>muc: rooms in use.</summary>
    public int? Rooms { get; set; }

    /// <summary>muc: deliveries owed, the sum over sent groupchat messages of their room's occupants.</summary>
    public long? ExpectedDeliveries { get; set; }

    /// <summary>muc: users that could not enter their room.</summary>
    public int JoinFailures { get; set; }

    /// <summary>muc: the first entering failure's reason.</summary>
    public string? FirstJoinError { get; set; }

    /// <summary>Sent − Delivered after the drain (muc: ExpectedDeliveries − Delivered); negative when the server delivered duplicates.</summary>
    public long Lost { get; set; }

    /// <summary>Time waited after the last step for messages in flight, seconds.</summary>
    public double DrainSeconds { get; set; }

    /// <summary>Latency over all steps.</summary>
    public LatencySummary? Latency { get; set; }

    /// <summary>Connections the server ended during the steps.</summary>
    public int Dropped { get; set; }

    /// <summary>Times the pacer skipped a sender whose socket would not take more (server not reading).</summary>
    public long BackpressureSkips { get; set; }

    /// <summary>Bench CPU over the steps and the drain, seconds.</summary>
    public double BenchCpuSeconds { get; set; }

    /// <summary>Bench CPU per message (sending it and receiving it), microseconds.</summary>
    public double BenchMicrosecondsPerMessage { get; set; }

    /// <summary>Messages per second one bench core could drive at that cost (1e6 / BenchMicrosecondsPerMessage).</summary>
    public double MessagesPerBenchCoreSecond { get; set; }

    /// <summary>Managed bytes the bench allocated over the steps and the drain, per message sent (should be ~0).</summary>
    public double BenchAllocatedBytesPerMessage { get; set; }

    /// <summary>Gen-0 collections in the bench over the steps and the drain.</summary>
    public int BenchGen0Collections { get; set; }
}
