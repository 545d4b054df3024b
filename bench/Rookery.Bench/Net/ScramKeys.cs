using System.Security.Cryptography;
using System.Text;

namespace Rookery.Bench.Net;

/// <summary>The SCRAM keys a client derives from a password (RFC 5802 §3): ClientKey, StoredKey and ServerKey.</summary>
/// <param name="ClientKey">HMAC(SaltedPassword, "Client Key").</param>
/// <param name="StoredKey">H(ClientKey).</param>
/// <param name="ServerKey">HMAC(SaltedPassword, "Server Key").</param>
internal sealed record ScramKeys(byte[] ClientKey, byte[] StoredKey, byte[] ServerKey)
{
    /// <summary>Runs PBKDF2 and derives the keys.</summary>
    public static ScramKeys Derive(HashAlgorithmName hash, string password, byte[] salt, int iterations)
    {
        var size = ScramClient.HashSize(hash);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, hash, size);
        var clientKey = ScramClient.Hmac(hash, salted, "Client Key"u8);
        var storedKey = ScramClient.Hash(hash, clientKey);
        var serverKey = ScramClient.Hmac(hash, salted, "Server Key"u8);
        return new ScramKeys(clientKey, storedKey, serverKey);
    }
}
