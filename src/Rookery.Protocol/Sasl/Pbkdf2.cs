using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// PBKDF2-HMAC (RFC 8018 §5.2) for one output block of SHA-1 or SHA-256, i.e. SCRAM's Hi() (RFC 5802 §2.2), with the
/// HMAC inner and outer key states computed once and each iteration costing exactly two compression-function calls.
/// <see cref="Rfc2898DeriveBytes.Pbkdf2(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, int, HashAlgorithmName)"/>
/// on OpenSSL 3 copies digest contexts on every iteration, which costs about 3.5 times the hashing itself (1.5 ms vs
/// 0.42 ms for 4,096 SHA-1 iterations here, issue #6); PLAIN logins pay one derivation each. The compression function
/// is OpenSSL's own (<c>SHA1_Transform</c>, <c>SHA256_Transform</c>: the same hardware-accelerated block code the
/// EVP digests run). Where that library or those exports are missing, or the fast path does not reproduce a known
/// derivation at start-up, everything goes through <see cref="Rfc2898DeriveBytes"/> as before.
/// </summary>
internal static class Pbkdf2
{
    private const int BlockSize = 64;

    private static readonly uint[] Sha1Iv = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    private static readonly uint[] Sha256Iv = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    /// <summary>True when the single-block fast path is in use (the native compression functions passed the self-test).</summary>
    internal static bool IsAccelerated { get; } = SelfTest();

    /// <summary>
    /// Writes PBKDF2(<paramref name="password"/>, <paramref name="salt"/>, <paramref name="iterations"/>) into
    /// <paramref name="destination"/>; identical to <see cref="Rfc2898DeriveBytes.Pbkdf2(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, int, HashAlgorithmName)"/>.
    /// </summary>
    public static void Derive(ScramHash hash, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Span<byte> destination, int iterations)
    {
        if (IsAccelerated && hash is ScramHash.Sha1 or ScramHash.Sha256 && destination.Length == hash.HashSize())
        {
            DeriveOneBlock(hash == ScramHash.Sha256, password, salt, destination, iterations);
            return;
        }

        Rfc2898DeriveBytes.Pbkdf2(password, salt, destination, iterations, hash.AlgorithmName());
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "SCRAM-SHA-1 is defined with SHA-1 (RFC 5802).")]
    private static void DeriveOneBlock(bool sha256, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Span<byte> destination, int iterations)
    {
        var words = sha256 ? 8 : 5;
        var size = words * 4;
        Span<byte> key = stackalloc byte[BlockSize];
        Span<byte> block = stackalloc byte[BlockSize];
        Span<uint> inner = stackalloc uint[32]; // room for the whole native context, although the transforms only touch the state words
        Span<uint> outer = stackalloc uint[32];
        Span<uint> work = stackalloc uint[32];
        Span<uint> sum = stackalloc uint[8];
        Span<byte> u = stackalloc byte[32];
        Span<byte> message = salt.Length + 4 <= 256 ? stackalloc byte[salt.Length + 4] : new byte[salt.Length + 4];
        try
        {
            // RFC 2104 §2: a key longer than the block is hashed first; the key is zero-padded to the block size.
            key.Clear();
            scoped ReadOnlySpan<byte> hmacKey = password;
            if (password.Length > BlockSize)
            {
                hmacKey = key[..(sha256 ? SHA256.HashData(password, key) : SHA1.HashData(password, key))];
            }
            else
            {
                password.CopyTo(key);
            }

            // The inner and outer states after the (key ^ ipad) and (key ^ opad) blocks are the same for every iteration.
            KeyState(sha256, key, 0x36, block, inner);
            KeyState(sha256, key, 0x5c, block, outer);

            // U1 = HMAC(P, S || INT(1)) (RFC 8018 §5.2): the salt has any length, so the ordinary HMAC does it.
            salt.CopyTo(message);
            BinaryPrimitives.WriteInt32BigEndian(message[salt.Length..], 1);
            if (sha256)
            {
                HMACSHA256.HashData(hmacKey, message, u);
            }
            else
            {
                HMACSHA1.HashData(hmacKey, message, u);
            }

            // Every later message is one digest: it fits one padded block after the key block (FIPS 180-4 §5.1.1),
            // so only its first words change between iterations.
            block.Clear();
            u[..size].CopyTo(block);
            block[size] = 0x80;
            BinaryPrimitives.WriteUInt64BigEndian(block[(BlockSize - 8)..], (ulong)(BlockSize + size) * 8);
            for (var i = 0; i < words; i++)
            {
                sum[i] = BinaryPrimitives.ReadUInt32BigEndian(u[(i * 4)..]);
            }

            var blockWords = MemoryMarshal.Cast<byte, uint>(block);
            for (var j = 1; j < iterations; j++)
            {
                inner[..words].CopyTo(work);
                Transform(sha256, work, block);
                for (var i = 0; i < words; i++)
                {
                    blockWords[i] = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(work[i]) : work[i];
                }

                outer[..words].CopyTo(work);
                Transform(sha256, work, block);
                for (var i = 0; i < words; i++)
                {
                    sum[i] ^= work[i];
                    blockWords[i] = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(work[i]) : work[i];
                }
            }

            for (var i = 0; i < words; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(destination[(i * 4)..], sum[i]);
            }
        }
        finally
        {
            // Everything here is derived from the password.
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(inner));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(outer));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(work));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(sum));
            CryptographicOperations.ZeroMemory(u);
            CryptographicOperations.ZeroMemory(message);
        }
    }

    private static void KeyState(bool sha256, ReadOnlySpan<byte> key, byte pad, Span<byte> block, Span<uint> state)
    {
        for (var i = 0; i < BlockSize; i++)
        {
            block[i] = (byte)(key[i] ^ pad);
        }

        state.Clear();
        (sha256 ? Sha256Iv : Sha1Iv).CopyTo(state);
        Transform(sha256, state, block);
    }

    private static void Transform(bool sha256, Span<uint> state, Span<byte> block)
    {
        if (sha256)
        {
            Sha256Transform(ref MemoryMarshal.GetReference(state), ref MemoryMarshal.GetReference(block));
        }
        else
        {
            Sha1Transform(ref MemoryMarshal.GetReference(state), ref MemoryMarshal.GetReference(block));
        }
    }

    /// <summary>
    /// Uses the fast path only if it reproduces <see cref="Rfc2898DeriveBytes"/> for both hashes, with a short and a
    /// longer-than-a-block password: a missing library or export, or a context layout other than OpenSSL's, turns it off.
    /// </summary>
    private static bool SelfTest()
    {
        try
        {
            ReadOnlySpan<byte> salt = "rookery-pbkdf2-self-test"u8;
            var longPassword = new byte[BlockSize + 17];
            for (var i = 0; i < longPassword.Length; i++)
            {
                longPassword[i] = (byte)(i * 7 + 1);
            }

            Span<byte> expected = stackalloc byte[32];
            Span<byte> actual = stackalloc byte[32];
            foreach (var sha256 in (ReadOnlySpan<bool>)[false, true])
            {
                var size = sha256 ? 32 : 20;
                var name = sha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA1;
                foreach (var password in new[] { "pencil"u8.ToArray(), longPassword })
                {
                    Rfc2898DeriveBytes.Pbkdf2(password, salt, expected[..size], 7, name);
                    DeriveOneBlock(sha256, password, salt, actual[..size], 7);
                    if (!expected[..size].SequenceEqual(actual[..size]))
                    {
                        return false;
                    }
                }
            }

            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or MarshalDirectiveException or InvalidProgramException)
        {
            return false;
        }
    }

    // One 64-byte block into the state words; short, non-blocking native calls, hence no GC transition.
    [DllImport("libcrypto.so.3", EntryPoint = "SHA1_Transform", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    [SuppressGCTransition]
    private static extern void Sha1Transform(ref uint state, ref byte block);

    [DllImport("libcrypto.so.3", EntryPoint = "SHA256_Transform", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    [SuppressGCTransition]
    private static extern void Sha256Transform(ref uint state, ref byte block);
}
