namespace Rookery.Storage;

/// <summary>
/// The JIDs each user blocks (XEP-0191 blocking command): one set per owner of prepared JID strings, each a full JID,
/// bare JID, domain or domain/resource.
/// </summary>
public interface IBlockListStore
{
    /// <summary>The JIDs <paramref name="owner"/> (a bare JID) blocks, sorted ordinally; empty when none.</summary>
    Task<IReadOnlyList<string>> GetAsync(string owner, CancellationToken ct = default);

    /// <summary>
    /// Adds JIDs to the owner's list in one transaction; JIDs already listed (or repeated) are kept once. Returns how many
    /// were not listed before.
    /// </summary>
    Task<int> AddAsync(string owner, IReadOnlyCollection<string> jids, CancellationToken ct = default);

    /// <summary>Removes JIDs from the owner's list in one transaction; returns how many were listed.</summary>
    Task<int> RemoveAsync(string owner, IReadOnlyCollection<string> jids, CancellationToken ct = default);

    /// <summary>Empties the owner's list; returns how many JIDs it held.</summary>
    Task<int> ClearAsync(string owner, CancellationToken ct = default);
}
