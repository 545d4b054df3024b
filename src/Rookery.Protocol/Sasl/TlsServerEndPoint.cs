using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Rookery.Protocol.Sasl;

/// <summary>Computes <c>tls-server-end-point</c> channel binding data for the server's certificate (RFC 5929 §4.1).</summary>
public static class TlsServerEndPoint
{
    /// <summary>
    /// Hashes the DER encoding of <paramref name="certificate"/> with the hash of its signature algorithm, using SHA-256
    /// when that hash is MD5 or SHA-1 (RFC 5929 §4.1). Throws <see cref="NotSupportedException"/> when the signature
    /// algorithm names no single hash (for example Ed25519 or RSASSA-PSS), where RFC 5929 defines no binding.
    /// </summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "Names are only matched, MD5/SHA-1 are upgraded to SHA-256.")]
    public static byte[] Compute(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var oid = certificate.SignatureAlgorithm.Value;
        var der = certificate.RawData;
        return oid switch
        {
            // md5WithRSA, sha1WithRSA, ecdsa-with-SHA1, dsa-with-sha1, sha256WithRSA, ecdsa-with-SHA256, dsa-with-sha256
            "1.2.840.113549.1.1.4" or "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1" or "1.2.840.10040.4.3"
                or "1.2.840.113549.1.1.11" or "1.2.840.10045.4.3.2" or "2.16.840.1.101.3.4.3.2" => SHA256.HashData(der),
            // sha384WithRSA, ecdsa-with-SHA384
            "1.2.840.113549.1.1.12" or "1.2.840.10045.4.3.3" => SHA384.HashData(der),
            // sha512WithRSA, ecdsa-with-SHA512
            "1.2.840.113549.1.1.13" or "1.2.840.10045.4.3.4" => SHA512.HashData(der),
            // sha224WithRSA, ecdsa-with-SHA224: .NET has no SHA-224; RFC 5929 would need it, so refuse.
            _ => throw new NotSupportedException(
                $"tls-server-end-point is not defined for signature algorithm {oid} ({certificate.SignatureAlgorithm.FriendlyName})."),
        };
    }
}
