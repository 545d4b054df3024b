using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rookery.Modules.HttpUpload;

/// <summary>
/// Issues upload ids and signs and checks the PUT URLs of upload slots (XEP-0363 §4), so that any node of a cluster can
/// accept an upload for a slot another node handed out without shared state:
/// <c>base64url(HMAC-SHA256(key, "rookery-upload-v1" LF id LF file name LF size LF expiry))</c>. The key is random per
/// process on a single node; on a cluster it is derived from the cluster secret (HKDF, as the XEP-0198 resumption ids).
/// </summary>
public sealed class UploadSignatures
{
    /// <summary>Random bytes in an upload id (144 bits: the id is the only capability a GET URL carries).</summary>
    private const int IdBytes = 18;

    /// <summary>Characters of an upload id in base64url.</summary>
    public const int IdLength = IdBytes / 3 * 4;

    private static readonly byte[] KeyLabel = Encoding.ASCII.GetBytes("rookery-http-upload-v1");
    private readonly byte[] _key;

    /// <summary>Creates the signer: keyed from <paramref name="clusterSecret"/> when given, else with a random key.</summary>
    public UploadSignatures(string? clusterSecret)
    {
        _key = string.IsNullOrEmpty(clusterSecret)
            ? RandomNumberGenerator.GetBytes(32)
            : HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(clusterSecret), 32, salt: null, info: KeyLabel);
    }

    /// <summary>A fresh random upload id (base64url, <see cref="IdLength"/> characters).</summary>
    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(IdBytes));

    /// <summary>Whether <paramref name="id"/> has the form of an upload id (so it is safe as a file name).</summary>
    public static bool IsValidId(string? id)
    {
        if (id is null || id.Length != IdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The signature of a slot: id, file name, size in bytes and expiry (Unix seconds).</summary>
    public string Sign(string id, string fileName, long size, long expires)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(fileName);
        return Base64Url.EncodeToString(Mac(id, fileName, size, expires));
    }

    /// <summary>
    /// Whether <paramref name="signature"/> is this key's signature of the slot (constant-time). It says nothing about
    /// expiry: the caller compares <paramref name="expires"/> with the clock.
    /// </summary>
    public bool Verify(string id, string fileName, long size, long expires, string? signature)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(fileName);
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes + 3];
        // IsValid first: decoding throws on characters outside the alphabet, and a client's input must not.
        if (signature is null || signature.Length > 64 || !Base64Url.IsValid(signature, out var length) || length != HMACSHA256.HashSizeInBytes ||
            !Base64Url.TryDecodeFromChars(signature, given, out var written) || written != HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Mac(id, fileName, size, expires), given[..written]);
    }

    private byte[] Mac(string id, string fileName, long size, long expires)
    {
        // The id is base64url and size and expiry are digits, so the file name is the only field that could hold a line
        // feed, and it sits between fixed-form fields: no two slots give the same input.
        var input = string.Create(CultureInfo.InvariantCulture, $"rookery-upload-v1\n{id}\n{fileName}\n{size}\n{expires}");
        return HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(input));
    }
}
