namespace Rookery.Server.Components;

/// <summary>
/// A hash that is the same in every process and on every node (FNV-1a, 64 bits, over UTF-16 code units), unlike
/// <see cref="string.GetHashCode()"/>, which .NET randomises per process: balancing must pick the same instance
/// wherever a stanza enters the cluster.
/// </summary>
public static class StableHash
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    /// <summary>The hash of <paramref name="text"/>.</summary>
    public static ulong Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var h = OffsetBasis;
        foreach (var c in text)
        {
            h = (h ^ (byte)c) * Prime;
            h = (h ^ (byte)(c >> 8)) * Prime;
        }

        return h;
    }

    /// <summary>
    /// Mixes two hashes into a well-spread score (the SplitMix64 finaliser), for rendezvous hashing: every instance is
    /// scored against the key and the highest score wins, so removing one instance moves only the keys it had.
    /// </summary>
    public static ulong Mix(ulong key, ulong instance)
    {
        var z = key ^ (instance + 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
