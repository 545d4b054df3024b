namespace Rookery.Cluster;

/// <summary>
/// The <c>Cluster:Tls</c> section: whether node links run inside TLS, the node's link certificate (PEM certificate and
/// key as for <c>Hosts:*:CertificatePath</c>, or one PKCS#12 file), and how a peer's certificate is trusted. TLS adds
/// confidentiality; the HMAC challenge–response on the cluster secret still authenticates every link.
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>Run every link of this node inside TLS (both directions, with certificates on both sides). All nodes must agree.</summary>
    public bool Enabled { get; set; }

    /// <summary>The node's link certificate: a PEM file (with <see cref="KeyPath"/>, or with the key in the same file) or a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>).</summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>The PEM private key of <see cref="CertificatePath"/>; empty when the key is in the certificate file.</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>The password of a PKCS#12 <see cref="CertificatePath"/>; empty for none.</summary>
    public string CertificatePassword { get; set; } = string.Empty;

    /// <summary>
    /// A PEM file of the certificates a peer's certificate must chain to or equal (a cluster CA, or pinned node
    /// certificates). Empty: a peer must present the very certificate this node uses (one shared cluster certificate,
    /// self-signed is fine).
    /// </summary>
    public string TrustedCertificatesPath { get; set; } = string.Empty;

    /// <summary>Why the options cannot be used, starting with the quoted key, or null when they can.</summary>
    public string? Describe()
    {
        if (!Enabled)
        {
            return null;
        }

        if (CertificatePath.Length == 0)
        {
            return "'Cluster:Tls:CertificatePath' must name the link certificate when Cluster:Tls:Enabled is true";
        }

        if (!File.Exists(CertificatePath))
        {
            return $"'Cluster:Tls:CertificatePath' file '{CertificatePath}' does not exist";
        }

        if (KeyPath.Length > 0 && !File.Exists(KeyPath))
        {
            return $"'Cluster:Tls:KeyPath' file '{KeyPath}' does not exist";
        }

        if (TrustedCertificatesPath.Length > 0 && !File.Exists(TrustedCertificatesPath))
        {
            return $"'Cluster:Tls:TrustedCertificatesPath' file '{TrustedCertificatesPath}' does not exist";
        }

        return null;
    }
}
