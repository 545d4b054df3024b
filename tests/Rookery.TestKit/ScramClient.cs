using System.Security.Cryptography;
using System.Text;
using Rookery.Protocol.Sasl;

namespace Rookery.TestKit;

/// <summary>Minimal SCRAM client (RFC 5802 §3) for driving <see cref="ScramServerExchange"/> in tests; ASCII passwords only.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "SCRAM-SHA-1 is defined with SHA-1.")]
public sealed class ScramClient(ScramHash hash, string username, string password, string clientNonce, string gs2Header = "n,,", byte[]? bindingData = null)
{
    private string? _clientFirstBare;
    private byte[]? _serverSignature;

    public string? AuthMessage { get; private set; }

    public byte[] ClientFirst()
    {
        _clientFirstBare = "n=" + username.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal) + ",r=" + clientNonce;
        return Encoding.UTF8.GetBytes(gs2Header + _clientFirstBare);
    }

    public byte[] ClientFinal(byte[] serverFirst, string? overrideChannelBinding = null, string? overrideNonce = null)
    {
        var text = Encoding.UTF8.GetString(serverFirst);
        var attributes = text.Split(',').ToDictionary(a => a[0], a => a[2..]);
        var nonce = attributes['r'];
        if (!nonce.StartsWith(clientNonce, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The server nonce does not extend the client nonce");
        }
        var salt = Convert.FromBase64String(attributes['s']);
        var iterations = int.Parse(attributes['i'], System.Globalization.CultureInfo.InvariantCulture);

        var name = hash switch
        {
            ScramHash.Sha1 => HashAlgorithmName.SHA1,
            ScramHash.Sha256 => HashAlgorithmName.SHA256,
            _ => HashAlgorithmName.SHA512,
        };
        var size = hash switch { ScramHash.Sha1 => 20, ScramHash.Sha256 => 32, _ => 64 };
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, name, size);
        var clientKey = Hmac(salted, Encoding.ASCII.GetBytes("Client Key"));
        var storedKey = hash switch
        {
            ScramHash.Sha1 => SHA1.HashData(clientKey),
            ScramHash.Sha256 => SHA256.HashData(clientKey),
            _ => SHA512.HashData(clientKey),
        };
        var serverKey = Hmac(salted, Encoding.ASCII.GetBytes("Server Key"));

        var cbind = overrideChannelBinding ?? Convert.ToBase64String([.. Encoding.UTF8.GetBytes(gs2Header), .. bindingData ?? []]);
        var withoutProof = "c=" + cbind + ",r=" + (overrideNonce ?? nonce);
        AuthMessage = _clientFirstBare + "," + text + "," + withoutProof;
        var authMessage = Encoding.UTF8.GetBytes(AuthMessage);
        var signature = Hmac(storedKey, authMessage);
        var proof = new byte[size];
        for (var i = 0; i < size; i++)
        {
            proof[i] = (byte)(clientKey[i] ^ signature[i]);
        }

        _serverSignature = Hmac(serverKey, authMessage);
        return Encoding.UTF8.GetBytes(withoutProof + ",p=" + Convert.ToBase64String(proof));
    }

    public bool VerifyServerFinal(byte[] serverFinal) =>
        Encoding.ASCII.GetString(serverFinal) == "v=" + Convert.ToBase64String(_serverSignature!);

    private byte[] Hmac(byte[] key, byte[] data) => hash switch
    {
        ScramHash.Sha1 => HMACSHA1.HashData(key, data),
        ScramHash.Sha256 => HMACSHA256.HashData(key, data),
        _ => HMACSHA512.HashData(key, data),
    };
}
