using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Rookery.Cluster.Links;

/// <summary>
/// TLS for node links (<see cref="ClusterTlsOptions"/>): the node's certificate, presented by both the dialler and the
/// acceptor (mutual TLS), and the trust rule for the peer's certificate. Host names are not checked: peers are dialled
/// by registry or seed addresses, and who the peer is comes from the trusted certificate plus the HMAC proof.
/// </summary>
internal sealed class LinkTls : IDisposable
{
    /// <summary>The SNI name a dialler sends; links are not virtual-hosted, so it only labels the connection.</summary>
    public const string TargetHost = "rookery-cluster-link";

    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection _trusted;
    private readonly SslStreamCertificateContext _context;

    private LinkTls(X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        _certificate = certificate;
        _trusted = trusted;
        _context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>Loads the certificate and the trusted set named by <paramref name="options"/>; null when TLS is off.</summary>
    /// <exception cref="InvalidOperationException">A file cannot be read as a certificate (the message names the key).</exception>
    public static LinkTls? Create(ClusterTlsOptions options)
    {
        if (!options.Enabled)
        {
            return null;
        }

        X509Certificate2 certificate;
        try
        {
            certificate = IsPkcs12(options.CertificatePath)
                ? X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword.Length > 0 ? options.CertificatePassword : null)
                : Exportable(X509Certificate2.CreateFromPemFile(options.CertificatePath, options.KeyPath.Length > 0 ? options.KeyPath : null));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new InvalidOperationException($"'Cluster:Tls:CertificatePath' '{options.CertificatePath}' cannot be loaded as a certificate with its private key: {e.Message}", e);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"'Cluster:Tls:CertificatePath' '{options.CertificatePath}' has no private key (set Cluster:Tls:KeyPath)");
        }

        var trusted = new X509Certificate2Collection();
        if (options.TrustedCertificatesPath.Length > 0)
        {
            try
            {
                trusted.ImportFromPemFile(options.TrustedCertificatesPath);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
            {
                throw new InvalidOperationException($"'Cluster:Tls:TrustedCertificatesPath' '{options.TrustedCertificatesPath}' cannot be read as PEM certificates: {e.Message}", e);
            }

            if (trusted.Count == 0)
            {
                throw new InvalidOperationException($"'Cluster:Tls:TrustedCertificatesPath' '{options.TrustedCertificatesPath}' holds no certificate");
            }
        }
        else
        {
            // The shared cluster certificate: a peer is trusted when it presents the same one.
            trusted.Add(X509CertificateLoader.LoadCertificate(certificate.RawData));
        }

        return new LinkTls(certificate, trusted);
    }

    /// <summary>The dialler's side of the TLS handshake.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        TargetHost = TargetHost,
        ClientCertificateContext = _context,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, cert, _, _) => IsTrusted(cert),
    };

    /// <summary>The acceptor's side of the TLS handshake; the dialler must present a certificate too.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = _context,
        ClientCertificateRequired = true,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, cert, _, _) => IsTrusted(cert),
    };

    /// <summary>
    /// True when <paramref name="presented"/> is one of the trusted certificates or chains to one of them (the trusted
    /// set is the only root store: the machine's CAs play no part in cluster trust).
    /// </summary>
    public bool IsTrusted(X509Certificate? presented)
    {
        if (presented is null)
        {
            return false;
        }

        using var peer = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        foreach (var t in _trusted)
        {
            if (t.RawDataMemory.Span.SequenceEqual(peer.RawDataMemory.Span))
            {
                return true;
            }
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        var ok = chain.Build(peer);
        foreach (var element in chain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        return ok;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _certificate.Dispose();
        foreach (var t in _trusted)
        {
            t.Dispose();
        }
    }

    private static bool IsPkcs12(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    // SslStream on Linux needs the key in an exportable form rather than the ephemeral PEM import (as CertificateStore does).
    private static X509Certificate2 Exportable(X509Certificate2 cert)
    {
        using (cert)
        {
            return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        }
    }
}
