using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rookery.Protocol.Sasl;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class TlsServerEndPointTests
{
    private static X509Certificate2 SelfSigned(ECDsa key, HashAlgorithmName hash)
    {
        var request = new CertificateRequest("CN=xmpp.example.com", key, hash);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public void Compute_Sha256Signature_Sha256OfDer()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = SelfSigned(key, HashAlgorithmName.SHA256);

        var data = TlsServerEndPoint.Compute(cert);
        data.Should().Equal(SHA256.HashData(cert.RawData));
    }

    [Fact]
    public void Compute_Sha384Signature_Sha384OfDer()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var cert = SelfSigned(key, HashAlgorithmName.SHA384);

        var data = TlsServerEndPoint.Compute(cert);
        data.Should().HaveCount(48).And.Equal(SHA384.HashData(cert.RawData));
    }

    [Fact]
    public void Compute_RsaSha512Signature_Sha512OfDer()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=xmpp.example.com", key, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        TlsServerEndPoint.Compute(cert).Should().Equal(SHA512.HashData(cert.RawData));
    }
}
