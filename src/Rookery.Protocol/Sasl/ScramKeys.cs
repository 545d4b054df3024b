using System.Security.Cryptography;
using System.Text;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// The SCRAM credentials a server stores for one user and hash (RFC 5802 §3): salt, iteration count, StoredKey and
/// ServerKey; the password itself is never kept.
/// </summary>
/// <param name="Hash">The hash function these keys belong to.</param>
/// <param name="Salt">The salt sent to the client in server-first-message.</param>
/// <param name="Iterations">The PBKDF2 iteration count sent to the client.</param>
/// <param name="StoredKey">H(ClientKey), used to verify the client proof.</param>
/// <param name="ServerKey">HMAC(SaltedPassword, "Server Key"), used to sign server-final-message.</param>
public sealed record ScramKeys(ScramHash Hash, byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey)
{
    /// <summary>The salt length <see cref="Create"/> uses, in bytes.</summary>
    public const int DefaultSaltLength = 16;

    /// <summary>
    /// Derives the keys from a password: SaltedPassword = PBKDF2(SASLprep(password), salt, iterations) (RFC 5802 §3).
    /// Throws <see cref="ArgumentException"/> when the password is empty or contains characters SASLprep prohibits.
    /// </summary>
    public static ScramKeys Derive(ScramHash hash, string password, byte[] salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        if (salt.Length == 0)
        {
            throw new ArgumentException("The salt must not be empty.", nameof(salt));
        }

        if (!SaslPrep.TryPrepare(password, out var prepared, out var why))
        {
            throw new ArgumentException($"The password is not acceptable: {why}.", nameof(password));
        }

        return DerivePrepared(hash, prepared, salt, iterations);
    }

    /// <summary>Derives keys for a new password with a fresh random 16-byte salt.</summary>
    public static ScramKeys Create(ScramHash hash, string password, int iterations) =>
        Derive(hash, password, RandomNumberGenerator.GetBytes(DefaultSaltLength), iterations);

    /// <summary>
    /// Checks a clear-text password (from SASL PLAIN) against these keys in constant time; false for a wrong password
    /// or one SASLprep rejects.
    /// </summary>
    public bool VerifyPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!SaslPrep.TryPrepare(password, out var prepared, out _))
        {
            return false;
        }

        var candidate = DerivePrepared(Hash, prepared, Salt, Iterations);
        return CryptographicOperations.FixedTimeEquals(candidate.StoredKey, StoredKey);
    }

    /// <summary>
    /// Checks a clear-text password against stored SCRAM credentials in constant time, deriving only what the check
    /// needs (SaltedPassword, ClientKey, StoredKey: RFC 5802 §3) without allocating key objects; false for a wrong
    /// password or one SASLprep rejects.
    /// </summary>
    public static bool MatchesPassword(ScramHash hash, string password, byte[] salt, int iterations, byte[] storedKey)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentNullException.ThrowIfNull(storedKey);
        if (iterations < 1 || salt.Length == 0 || !SaslPrep.TryPrepare(password, out var prepared, out _))
        {
            return false;
        }

        var size = hash.HashSize();
        var byteCount = Encoding.UTF8.GetByteCount(prepared);
        byte[]? rented = null;
        Span<byte> passwordBytes = byteCount <= 256 ? stackalloc byte[256] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(byteCount));
        passwordBytes = passwordBytes[..Encoding.UTF8.GetBytes(prepared, passwordBytes)];
        Span<byte> salted = stackalloc byte[size];
        Span<byte> clientKey = stackalloc byte[size];
        Span<byte> candidate = stackalloc byte[size];
        try
        {
            Pbkdf2.Derive(hash, passwordBytes, salt, salted, iterations);
            hash.Hmac(salted, "Client Key"u8, clientKey);
            hash.Hash(clientKey, candidate);
            return CryptographicOperations.FixedTimeEquals(candidate, storedKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            CryptographicOperations.ZeroMemory(salted);
            CryptographicOperations.ZeroMemory(clientKey);
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static ScramKeys DerivePrepared(ScramHash hash, string prepared, byte[] salt, int iterations)
    {
        var size = hash.HashSize();
        var passwordBytes = Encoding.UTF8.GetBytes(prepared);
        Span<byte> salted = stackalloc byte[size];
        Span<byte> clientKey = stackalloc byte[size];
        try
        {
            // Hi() of RFC 5802 §2.2 is PBKDF2 with the HMAC as PRF and dkLen = the hash size.
            Pbkdf2.Derive(hash, passwordBytes, salt, salted, iterations);
            var storedKey = new byte[size];
            var serverKey = new byte[size];
            hash.Hmac(salted, "Client Key"u8, clientKey);
            hash.Hash(clientKey, storedKey);
            hash.Hmac(salted, "Server Key"u8, serverKey);
            return new ScramKeys(hash, (byte[])salt.Clone(), iterations, storedKey, serverKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            CryptographicOperations.ZeroMemory(salted);
            CryptographicOperations.ZeroMemory(clientKey);
        }
    }
}
