namespace Rookery.Storage;

/// <summary>
/// Small XML documents a user keeps on the server, such as a vCard (XEP-0054) or private XML (XEP-0049): one document
/// per (owner, kind, key), where the kind names the feature and the key the document within it.
/// </summary>
public interface IUserDataStore
{
    /// <summary>The document stored under (<paramref name="owner"/>, <paramref name="kind"/>, <paramref name="key"/>), or null.</summary>
    Task<string?> GetAsync(string owner, string kind, string key, CancellationToken ct = default);

    /// <summary>
    /// Stores or replaces a document. A new key is refused (false, nothing stored) when <paramref name="owner"/> already
    /// has <paramref name="maxKeys"/> documents of this kind; replacing an existing key always succeeds.
    /// </summary>
    Task<bool> TrySetAsync(string owner, string kind, string key, string xml, int maxKeys, CancellationToken ct = default);

    /// <summary>Removes a document; returns whether there was one.</summary>
    Task<bool> DeleteAsync(string owner, string kind, string key, CancellationToken ct = default);
}
