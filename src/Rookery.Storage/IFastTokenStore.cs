namespace Rookery.Storage;

/// <summary>
/// FAST tokens (XEP-0484) per account and client installation, at most one per <see cref="FastTokenSlot"/>. Shared by
/// every node of a cluster, so that a client may log in with its token on any node.
/// </summary>
public interface IFastTokenStore
{
    /// <summary>The tokens of <paramref name="owner"/>'s client <paramref name="userAgentId"/>, the new slot first; empty when none.</summary>
    Task<IReadOnlyList<FastToken>> GetAsync(string owner, string userAgentId, CancellationToken ct = default);

    /// <summary>
    /// Stores <paramref name="token"/> in its slot, replacing what the slot held: an issued token that was never used
    /// is invalidated by the next one (XEP-0484 §4.5).
    /// </summary>
    Task SetAsync(FastToken token, CancellationToken ct = default);

    /// <summary>
    /// The client used the token of its new slot: it becomes the current one, replacing (and so invalidating) the older
    /// current token, in one transaction (XEP-0484 §4.5). False when the new slot no longer holds
    /// <paramref name="token"/> (another login moved or replaced it meanwhile).
    /// </summary>
    Task<bool> PromoteAsync(string owner, string userAgentId, string token, CancellationToken ct = default);

    /// <summary>Removes the client's tokens (XEP-0484 §4.6 invalidation); returns how many were removed.</summary>
    Task<int> DeleteAsync(string owner, string userAgentId, CancellationToken ct = default);
}
