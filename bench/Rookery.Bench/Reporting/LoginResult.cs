using Rookery.Bench.Metrics;

namespace Rookery.Bench.Reporting;

/// <summary>The login phase: N connections from TCP connect to reflected initial presence.</summary>
internal sealed class LoginResult
{
    /// <summary>Logins started.</summary>
    public int Attempted { get; init; }

    /// <summary>Logins that reached online.</summary>
    public int Succeeded { get; init; }

    /// <summary>Logins that failed or timed out.</summary>
    public int Failed { get; init; }

    /// <summary>From the first connect to the last successful login, seconds.</summary>
    public double SecondsToAllOnline { get; init; }

    /// <summary>Succeeded / SecondsToAllOnline.</summary>
    public double LoginsPerSecond { get; init; }

    /// <summary>Logins in flight at once.</summary>
    public int Concurrency { get; init; }

    /// <summary>Per-login time from connect to online.</summary>
    public required LatencySummary Latency { get; init; }

    /// <summary>Failures by cause.</summary>
    public Dictionary<string, int> FailureReasons { get; init; } = [];

    /// <summary>The first failure's message.</summary>
    public string? FirstError { get; init; }

    /// <summary>SCRAM keys the bench derived with PBKDF2 (the rest came from its cache).</summary>
    public int ScramKeysDerived { get; init; }

    /// <summary>CPU the bench used during the login phase, seconds.</summary>
    public double BenchCpuSeconds { get; init; }

    /// <summary>CPU the server used during the login phase, seconds, when known.</summary>
    public double? ServerCpuSeconds { get; init; }
}
