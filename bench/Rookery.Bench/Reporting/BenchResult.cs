namespace Rookery.Bench.Reporting;

/// <summary>The outcome of one bench run, as written to JSON and rendered as Markdown.</summary>
internal sealed class BenchResult
{
    /// <summary>Always <c>rookery-bench</c>.</summary>
    public string Tool { get; init; } = "rookery-bench";

    /// <summary>The scenario's command name.</summary>
    public required string Scenario { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedUtc { get; init; }

    /// <summary>Where it ran: processor count, OS, runtime.</summary>
    public required string Machine { get; init; }

    /// <summary>Target endpoints (senders' nodes in cross-node).</summary>
    public required string Targets { get; init; }

    /// <summary>Receivers' nodes (cross-node).</summary>
    public string? ReceiverTargets { get; init; }

    /// <summary>XMPP domain.</summary>
    public required string Domain { get; init; }

    /// <summary>Users (connections) asked for.</summary>
    public int Users { get; init; }

    /// <summary>STARTTLS used.</summary>
    public bool Tls { get; init; }

    /// <summary>SASL mechanism.</summary>
    public required string Mechanism { get; init; }

    /// <summary>Smoke mode.</summary>
    public bool Smoke { get; init; }

    /// <summary>Provisioning before the scenario, when any.</summary>
    public ProvisionResult? Provision { get; set; }

    /// <summary>The login phase (every scenario has one).</summary>
    public LoginResult? Login { get; set; }

    /// <summary>Idle results.</summary>
    public IdleResult? Idle { get; set; }

    /// <summary>Messaging and cross-node results.</summary>
    public MessagingResult? Messaging { get; set; }

    /// <summary>Wall time of the whole run after provisioning, seconds.</summary>
    public double WallSeconds { get; set; }

    /// <summary>CPU used by the bench over the run, seconds.</summary>
    public double BenchCpuSeconds { get; set; }

    /// <summary>Bench CPU as a percentage of one core.</summary>
    public double BenchCpuPercent { get; set; }

    /// <summary>Server readings when a server PID was given.</summary>
    public ServerResult? Server { get; set; }

    /// <summary>True when nothing failed: every login succeeded, nothing dropped, every message accounted for.</summary>
    public bool Clean { get; set; }

    /// <summary>What made the run not clean, one line each.</summary>
    public List<string> Problems { get; init; } = [];
}
