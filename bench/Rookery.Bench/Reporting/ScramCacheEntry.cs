namespace Rookery.Bench.Reporting;

/// <summary>One saved SCRAM key set (see <see cref="Net.ScramKeyCache"/>).</summary>
/// <param name="Key">hash|iterations|salt|SHA-256(password).</param>
/// <param name="ClientKey">Base64 ClientKey.</param>
/// <param name="StoredKey">Base64 StoredKey.</param>
/// <param name="ServerKey">Base64 ServerKey.</param>
internal sealed record ScramCacheEntry(string Key, string ClientKey, string StoredKey, string ServerKey);
