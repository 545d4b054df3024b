namespace Rookery.Bench.Reporting;

/// <summary>How the accounts were created before the scenario.</summary>
internal sealed class ProvisionResult
{
    /// <summary><c>command</c>, <c>once</c>, <c>register</c> or <c>api</c>.</summary>
    public required string Method { get; init; }

    /// <summary>Accounts asked for.</summary>
    public int Requested { get; init; }

    /// <summary>Accounts created.</summary>
    public int Created { get; init; }

    /// <summary>Accounts that existed already.</summary>
    public int Existing { get; init; }

    /// <summary>Failures.</summary>
    public int Failed { get; init; }

    /// <summary>Wall time, seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>The first failure's message.</summary>
    public string? FirstError { get; init; }

    /// <summary>The last line a one-shot provisioning command printed (its summary).</summary>
    public string? Output { get; init; }
}
