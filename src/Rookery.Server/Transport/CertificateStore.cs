using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Rookery.Server.Hosts;

namespace Rookery.Server.Transport;

/// <summary>
/// The TLS certificate of each host: the configured PEM files, or else a self-signed certificate generated on first
/// start and kept in the data folder, so that a fresh node offers TLS without any setup.
/// </summary>
public sealed partial class CertificateStore(HostRegistry hosts, string dataDirectory, ILogger<CertificateStore> logger)
{
    private readonly ConcurrentDictionary<string, X509Certificate2> _certificates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TlsIdentity> _identities = new(StringComparer.Ordinal);

    /// <summary>Loads (or creates) every host's certificate; called at start-up so that a bad file stops the start.</summary>
    public void LoadAll()
    {
        foreach (var domain in hosts.Domains)
        {
            Get(domain);
        }
    }

    /// <summary>The certificate of a host; for an unknown name (SNI), the first host's.</summary>
    public X509Certificate2 Get(string? domain)
    {
        if (domain is null || !hosts.IsLocal(domain))
        {
            domain = hosts.Domains[0];
        }

        return _certificates.GetOrAdd(domain, Load);
    }

    /// <summary>
    /// What a TLS handshake for a host needs, built once per host: the certificate context (with its chain, so that
    /// handshakes do not rebuild it) and the <c>tls-server-end-point</c> channel binding of the certificate.
    /// </summary>
    public TlsIdentity GetIdentity(string? domain)
    {
        var certificate = Get(domain);
        var key = certificate.Thumbprint;
        return _identities.GetOrAdd(key, _ => new TlsIdentity(
            certificate,
            SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
            new Protocol.Sasl.ChannelBinding(Protocol.Sasl.ChannelBinding.TlsServerEndPointType, Protocol.Sasl.TlsServerEndPoint.Compute(certificate))));
    }

    private X509Certificate2 Load(string domain)
    {
        var options = hosts.Find(domain)!;
        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            var cert = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.KeyPath ?? options.CertificatePath);
            return Exportable(cert);
        }

        var dir = Path.Combine(dataDirectory, "certs");
        var certPath = Path.Combine(dir, domain + ".crt");
        var keyPath = Path.Combine(dir, domain + ".key");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            return Exportable(X509Certificate2.CreateFromPemFile(certPath, keyPath));
        }

        Directory.CreateDirectory(dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + domain, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(domain);
        san.AddDnsName("*." + domain);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        File.WriteAllText(certPath, created.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Log.GeneratedCertificate(logger, domain, certPath);
        return Exportable(X509Certificate2.CreateFromPemFile(certPath, keyPath));
    }

    // SslStream on some platforms needs the key in a persisted/exportable form rather than an ephemeral PEM import.
    private static X509Certificate2 Exportable(X509Certificate2 cert)
    {
        using (cert)
        {
            return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Generated a self-signed certificate for {Domain} at {Path}")]
        public static partial void GeneratedCertificate(ILogger logger, string domain, string path);

        // Next free EventId: 401
    }
}
