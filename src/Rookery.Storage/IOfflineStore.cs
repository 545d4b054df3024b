namespace Rookery.Storage;

/// <summary>
/// Messages for users who had no available resource (XEP-0160). A store completes only once the message is durable,
/// so that the sender's stanza counts as handled only when it cannot be lost.
/// </summary>
public interface IOfflineStore
{
    /// <summary>
    /// Appends a message for <paramref name="owner"/> (bare JID) unless the user already has <paramref name="limit"/>
    /// messages stored; returns false when the limit was reached and nothing was stored.
    /// </summary>
    Task<bool> TryStoreAsync(string owner, OfflineMessage message, int limit, CancellationToken ct = default);

    /// <summary>The stored messages of a user, oldest first, without removing them.</summary>
    Task<IReadOnlyList<StoredOfflineMessage>> PeekAsync(string owner, CancellationToken ct = default);

    /// <summary>Removes delivered messages by their ids; ids that do not exist or belong to another owner are ignored.</summary>
    Task RemoveAsync(string owner, IReadOnlyList<long> ids, CancellationToken ct = default);

    /// <summary>
    /// Hands the stored messages of a user to <paramref name="take"/>, oldest first, and removes those it took, as one
    /// step under the user's lock: of two calls for one user, from any node sharing the store, the second waits and sees
    /// only what the first left, so that no message goes to two resources. Stops at the first message
    /// <paramref name="take"/> refuses (returns false): that one and the later ones stay stored. Should the removal fail,
    /// every message stays stored (delivered twice rather than lost). Returns the number of messages removed.
    /// </summary>
    Task<int> TakeAsync(string owner, Func<StoredOfflineMessage, bool> take, CancellationToken ct = default);

    /// <summary>The number of messages stored for a user.</summary>
    Task<int> CountAsync(string owner, CancellationToken ct = default);
}
