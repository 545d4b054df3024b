using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Rookery.Protocol.Sasl;

namespace Rookery.Server.Transport;

/// <summary>A host's TLS identity, prepared once and shared by every handshake for that host.</summary>
/// <param name="Certificate">The certificate.</param>
/// <param name="Context">The certificate context handed to <see cref="SslStream"/>.</param>
/// <param name="EndPointBinding">The <c>tls-server-end-point</c> channel binding (RFC 5929 §4) of the certificate.</param>
public sealed record TlsIdentity(X509Certificate2 Certificate, SslStreamCertificateContext Context, ChannelBinding EndPointBinding);
