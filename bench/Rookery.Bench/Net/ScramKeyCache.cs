using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Net;

/// <summary>
/// Remembers SCRAM client and server keys per (hash, password, salt, iterations), as real clients do (RFC 5802 §5.1
/// lets a client cache them): PBKDF2 with thousands of iterations costs the generator about a millisecond per login,
/// which would make a login storm measure the bench instead of the server. It can be saved to a file so that repeated
/// runs against the same accounts skip PBKDF2 altogether; passwords are kept only as SHA-256 digests.
/// </summary>
internal sealed class ScramKeyCache
{
    private readonly ConcurrentDictionary<string, ScramKeys> _keys = new(StringComparer.Ordinal);
    private int _added;

    /// <summary>Keys computed (PBKDF2 runs) by this process.</summary>
    public int Derived => Volatile.Read(ref _added);

    /// <summary>Lookups answered from the cache.</summary>
    public int Hits => Volatile.Read(ref _hits);

    private int _hits;

    /// <summary>Gets the keys, deriving them (once) when not cached.</summary>
    public ScramKeys GetOrDerive(HashAlgorithmName hash, string password, byte[] salt, int iterations)
    {
        var key = Key(hash, password, salt, iterations);
        if (_keys.TryGetValue(key, out var keys))
        {
            Interlocked.Increment(ref _hits);
            return keys;
        }

        keys = ScramKeys.Derive(hash, password, salt, iterations);
        if (_keys.TryAdd(key, keys))
        {
            Interlocked.Increment(ref _added);
        }

        return keys;
    }

    /// <summary>Loads a file saved by <see cref="Save"/>; a missing file is an empty cache.</summary>
    public static ScramKeyCache Load(string? path)
    {
        var cache = new ScramKeyCache();
        if (path is null || !File.Exists(path))
        {
            return cache;
        }

        var entries = JsonSerializer.Deserialize(File.ReadAllText(path), BenchJsonContext.Default.ListScramCacheEntry) ?? [];
        foreach (var e in entries)
        {
            cache._keys[e.Key] = new ScramKeys(Convert.FromBase64String(e.ClientKey), Convert.FromBase64String(e.StoredKey), Convert.FromBase64String(e.ServerKey));
        }

        return cache;
    }

    /// <summary>Writes the cache to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        var entries = _keys.Select(kv => new ScramCacheEntry(
            kv.Key,
            Convert.ToBase64String(kv.Value.ClientKey),
            Convert.ToBase64String(kv.Value.StoredKey),
            Convert.ToBase64String(kv.Value.ServerKey))).ToList();
        File.WriteAllText(path, JsonSerializer.Serialize(entries, BenchJsonContext.Default.ListScramCacheEntry));
    }

    private static string Key(HashAlgorithmName hash, string password, byte[] salt, int iterations)
    {
        var pw = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
        return $"{hash.Name}|{iterations}|{Convert.ToBase64String(salt)}|{pw}";
    }
}
