namespace Rookery.Storage;

/// <summary>
/// Push registrations (XEP-0357): per account, the (service, node) pairs that get a notification when a message waits
/// for the account. Shared by every node of a cluster, so that whichever node stores a message knows whom to notify.
/// </summary>
public interface IPushStore
{
    /// <summary>The registrations of <paramref name="owner"/> (a bare JID), ordered by service then node; empty when none.</summary>
    Task<IReadOnlyList<PushRegistration>> GetAsync(string owner, CancellationToken ct = default);

    /// <summary>
    /// Stores a registration, replacing the owner's one for the same service and node (XEP-0357 §5: the last request's
    /// publish options win). Returns false, storing nothing, when it is new and the owner already has
    /// <paramref name="limit"/> registrations; the count and the insert are one transaction.
    /// </summary>
    Task<bool> TryEnableAsync(PushRegistration registration, int limit, CancellationToken ct = default);

    /// <summary>
    /// Removes the owner's registration for <paramref name="service"/> and <paramref name="node"/>, or every registration
    /// for the service when <paramref name="node"/> is null (XEP-0357 §6). Returns how many were removed.
    /// </summary>
    Task<int> DisableAsync(string owner, string service, string? node, CancellationToken ct = default);
}
