namespace Rookery.Storage;

/// <summary>
/// Rosters (RFC 6121 §2) and the subscription state that goes with them, including inbound subscription requests
/// that are still waiting for the user's answer ("pending in", §3.1.3), which are kept apart from roster items because
/// they exist whether or not the contact is in the roster.
/// </summary>
public interface IRosterStore
{
    /// <summary>The roster of <paramref name="owner"/> (a bare JID string) and its current version.</summary>
    Task<Roster> GetAsync(string owner, CancellationToken ct = default);

    /// <summary>One roster item, or null.</summary>
    Task<RosterItem?> GetItemAsync(string owner, string contact, CancellationToken ct = default);

    /// <summary>Inserts or replaces an item; returns the roster's new version.</summary>
    Task<long> SetItemAsync(string owner, RosterItem item, CancellationToken ct = default);

    /// <summary>Removes an item; returns the new version, or null when there was no such item.</summary>
    Task<long?> RemoveItemAsync(string owner, string contact, CancellationToken ct = default);

    /// <summary>
    /// Records an inbound subscription request, replacing an older one from the same contact; the replacement counts as
    /// the newest request in <see cref="GetPendingInAsync"/>.
    /// </summary>
    Task AddPendingInAsync(string owner, PendingSubscription request, CancellationToken ct = default);

    /// <summary>
    /// Deletes the roster version counter of <paramref name="owner"/>. Account deletion keeps it (XEP-0237: a version
    /// must never be reused for a JID); this is only for a temporary account whose random name is never given out again,
    /// such as a SASL ANONYMOUS session's, which must leave nothing behind.
    /// </summary>
    Task ForgetVersionAsync(string owner, CancellationToken ct = default);

    /// <summary>Removes an inbound subscription request; returns whether one was there.</summary>
    Task<bool> RemovePendingInAsync(string owner, string contact, CancellationToken ct = default);

    /// <summary>All inbound subscription requests still waiting for an answer, oldest first.</summary>
    Task<IReadOnlyList<PendingSubscription>> GetPendingInAsync(string owner, CancellationToken ct = default);
}
