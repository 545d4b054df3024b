namespace Rookery.Bench.Provisioning;

/// <summary>Creates one account before a scenario; failures throw with a message for the report.</summary>
internal interface IUserProvisioner
{
    /// <summary>Short name for the report: <c>command</c>, <c>register</c>, <c>api</c>.</summary>
    string Method { get; }

    /// <summary>Creates <paramref name="user"/>@<paramref name="domain"/>; false when it existed already.</summary>
    Task<bool> ProvisionAsync(int index, string user, string domain, string password, CancellationToken ct);
}
