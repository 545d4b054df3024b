using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Rookery.Protocol.Sasl;

/// <summary>Maps <see cref="ScramHash"/> values to mechanism names, hash names and primitive sizes.</summary>
public static class ScramHashExtensions
{
    /// <summary>The SASL mechanism name, for example <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-256-PLUS</c>.</summary>
    public static string MechanismName(this ScramHash hash, bool plus = false) => (hash, plus) switch
    {
        (ScramHash.Sha1, false) => "SCRAM-SHA-1",
        (ScramHash.Sha1, true) => "SCRAM-SHA-1-PLUS",
        (ScramHash.Sha256, false) => "SCRAM-SHA-256",
        (ScramHash.Sha256, true) => "SCRAM-SHA-256-PLUS",
        (ScramHash.Sha512, false) => "SCRAM-SHA-512",
        (ScramHash.Sha512, true) => "SCRAM-SHA-512-PLUS",
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    /// <summary>The IANA hash function text name used in storage and mechanism names: <c>SHA-1</c>, <c>SHA-256</c>, <c>SHA-512</c>.</summary>
    public static string HashName(this ScramHash hash) => hash switch
    {
        ScramHash.Sha1 => "SHA-1",
        ScramHash.Sha256 => "SHA-256",
        ScramHash.Sha512 => "SHA-512",
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    /// <summary>Parses a hash name produced by <see cref="HashName"/> (case-insensitive); returns false for unknown names.</summary>
    public static bool TryParseHashName(string? name, out ScramHash hash)
    {
        switch (name?.ToUpperInvariant())
        {
            case "SHA-1":
                hash = ScramHash.Sha1;
                return true;
            case "SHA-256":
                hash = ScramHash.Sha256;
                return true;
            case "SHA-512":
                hash = ScramHash.Sha512;
                return true;
            default:
                hash = default;
                return false;
        }
    }

    /// <summary>Parses a hash name produced by <see cref="HashName"/>; throws <see cref="FormatException"/> for unknown names.</summary>
    public static ScramHash ParseHashName(string name) =>
        TryParseHashName(name, out var hash) ? hash : throw new FormatException($"Unknown SCRAM hash name '{name}'.");

    /// <summary>Parses a SCRAM mechanism name such as <c>SCRAM-SHA-256-PLUS</c>; returns false for anything else.</summary>
    public static bool TryParseMechanism(string? mechanism, out ScramHash hash, out bool plus)
    {
        hash = default;
        plus = false;
        if (mechanism is null || !mechanism.StartsWith("SCRAM-", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = mechanism.AsSpan(6);
        if (rest.EndsWith("-PLUS", StringComparison.Ordinal))
        {
            plus = true;
            rest = rest[..^5];
        }

        // Mechanism names are case-sensitive upper case (RFC 4422 §3.1), so no case folding here.
        return rest switch
        {
            "SHA-1" => Set(ScramHash.Sha1, out hash),
            "SHA-256" => Set(ScramHash.Sha256, out hash),
            "SHA-512" => Set(ScramHash.Sha512, out hash),
            _ => false,
        };

        static bool Set(ScramHash value, out ScramHash hash)
        {
            hash = value;
            return true;
        }
    }

    /// <summary>The output length of the hash in bytes.</summary>
    public static int HashSize(this ScramHash hash) => hash switch
    {
        ScramHash.Sha1 => SHA1.HashSizeInBytes,
        ScramHash.Sha256 => SHA256.HashSizeInBytes,
        ScramHash.Sha512 => SHA512.HashSizeInBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    internal static HashAlgorithmName AlgorithmName(this ScramHash hash) => hash switch
    {
        ScramHash.Sha1 => HashAlgorithmName.SHA1,
        ScramHash.Sha256 => HashAlgorithmName.SHA256,
        ScramHash.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "SCRAM-SHA-1 is defined with SHA-1 (RFC 5802).")]
    internal static int Hmac(this ScramHash hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) => hash switch
    {
        ScramHash.Sha1 => HMACSHA1.HashData(key, data, destination),
        ScramHash.Sha256 => HMACSHA256.HashData(key, data, destination),
        ScramHash.Sha512 => HMACSHA512.HashData(key, data, destination),
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "SCRAM-SHA-1 is defined with SHA-1 (RFC 5802).")]
    internal static int Hash(this ScramHash hash, ReadOnlySpan<byte> data, Span<byte> destination) => hash switch
    {
        ScramHash.Sha1 => SHA1.HashData(data, destination),
        ScramHash.Sha256 => SHA256.HashData(data, destination),
        ScramHash.Sha512 => SHA512.HashData(data, destination),
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };
}
