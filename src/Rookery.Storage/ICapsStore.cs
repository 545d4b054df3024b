namespace Rookery.Storage;

/// <summary>
/// Verified entity capabilities (XEP-0115 §5.4): the disco#info features behind a hash that an answer was checked to
/// hash to. A verified hash never changes meaning, so entries are written once and shared by every node and restart.
/// </summary>
public interface ICapsStore
{
    /// <summary>The features behind a verified hash, or null when it is not stored.</summary>
    /// <param name="algorithm">The hash function's IANA name (the caps element's <c>hash</c>), e.g. <c>sha-1</c>.</param>
    /// <param name="ver">The verification string (the caps element's <c>ver</c>).</param>
    /// <param name="ct">Cancels the read.</param>
    Task<IReadOnlyList<string>?> GetAsync(string algorithm, string ver, CancellationToken ct = default);

    /// <summary>Stores the features of a verified hash; a hash stored already keeps its first entry (they are equal).</summary>
    /// <param name="algorithm">The hash function's IANA name.</param>
    /// <param name="ver">The verification string.</param>
    /// <param name="features">The disco#info feature names (order is not significant).</param>
    /// <param name="ct">Cancels the write.</param>
    Task PutAsync(string algorithm, string ver, IReadOnlyCollection<string> features, CancellationToken ct = default);
}
