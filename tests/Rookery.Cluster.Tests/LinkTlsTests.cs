using System.Net;
using System.Net.Sockets;
using Rookery.Cluster.Links;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// TLS on node links in process: the trust rules for the peer certificate (the shared cluster certificate, or a pinned
/// CA), the option checks, and two establishers over real loopback sockets — linked inside TLS when both use it,
/// refused at once (not hung) when only one does.
/// </summary>
public sealed class LinkTlsTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("rookery-linktls-");

    [Fact]
    public void IsTrusted_SharedCertificate_OnlyThatCertificate()
    {
        using var shared = TestCertificates.SelfSigned("cluster");
        using var other = TestCertificates.SelfSigned("cluster");
        var (cert, key) = TestCertificates.WritePem(shared, _folder.FullName, "shared");
        using var tls = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = cert, KeyPath = key })!;

        tls.IsTrusted(shared).Should().BeTrue();
        tls.IsTrusted(other).Should().BeFalse("a self-signed certificate with the same name is not the shared one");
        tls.IsTrusted(null).Should().BeFalse();
    }

    [Fact]
    public void IsTrusted_PinnedCa_IssuedCertificatesOnly()
    {
        using var ca = TestCertificates.SelfSigned("cluster-ca", ca: true);
        using var otherCa = TestCertificates.SelfSigned("cluster-ca", ca: true);
        using var nodeA = TestCertificates.IssuedBy(ca, "node-a");
        using var nodeB = TestCertificates.IssuedBy(ca, "node-b");
        using var stranger = TestCertificates.IssuedBy(otherCa, "node-b");
        var (caPath, _) = TestCertificates.WritePem(ca, _folder.FullName, "ca");
        var (cert, key) = TestCertificates.WritePem(nodeA, _folder.FullName, "a");
        using var tls = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = cert, KeyPath = key, TrustedCertificatesPath = caPath })!;

        tls.IsTrusted(nodeB).Should().BeTrue();
        tls.IsTrusted(stranger).Should().BeFalse("it chains to another CA with the same name");
    }

    [Fact]
    public void Create_Pkcs12File_Loads()
    {
        using var shared = TestCertificates.SelfSigned("cluster");
        var path = Path.Combine(_folder.FullName, "node.pfx");
        File.WriteAllBytes(path, shared.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "pw"));

        using var tls = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = path, CertificatePassword = "pw" })!;

        tls.IsTrusted(shared).Should().BeTrue();
    }

    [Fact]
    public void Describe_EnabledWithoutCertificate_NamesTheKey()
    {
        new ClusterTlsOptions { Enabled = true }.Describe().Should().StartWith("'Cluster:Tls:CertificatePath'");
        new ClusterTlsOptions { Enabled = true, CertificatePath = "/nonexistent.crt" }.Describe().Should().Contain("does not exist");
        new ClusterTlsOptions().Describe().Should().BeNull();
    }

    [Fact]
    public async Task Establish_BothTls_LinkedInsideTls()
    {
        using var shared = TestCertificates.SelfSigned("cluster");
        var (cert, key) = TestCertificates.WritePem(shared, _folder.FullName, "shared");
        using var tlsA = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = cert, KeyPath = key })!;
        using var tlsB = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = cert, KeyPath = key })!;
        using var logs = new CapturingLoggerProvider();

        var (dialled, accepted) = await ConnectAsync(tlsA, tlsB, logs);

        dialled.Should().NotBeNull();
        accepted.Should().NotBeNull();
        dialled!.PeerId.Should().Be(2);
        accepted!.PeerId.Should().Be(1);
        logs.Entries.Select(e => e.Message).Should().Contain(m => m.Contains("is encrypted", StringComparison.Ordinal));
        dialled.Abort();
        accepted.Abort();
    }

    [Fact]
    public async Task Establish_TlsDiallerPlainAcceptor_BothRefuseAndLog()
    {
        using var shared = TestCertificates.SelfSigned("cluster");
        var (cert, key) = TestCertificates.WritePem(shared, _folder.FullName, "shared");
        using var tls = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = cert, KeyPath = key })!;
        using var logs = new CapturingLoggerProvider();

        var (dialled, accepted) = await ConnectAsync(tls, null, logs);

        dialled.Should().BeNull();
        accepted.Should().BeNull();
        logs.Entries.Select(e => e.Message).Should().Contain(m => m.Contains("it starts TLS but Cluster:Tls:Enabled is false on this node", StringComparison.Ordinal));
        logs.Entries.Select(e => e.Message).Should().Contain(m => m.Contains("TLS handshake of the cluster link", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Establish_PlainDiallerTlsAcceptor_BothRefuseAndLog()
    {
        using var shared = TestCertificates.SelfSigned("cluster");
        var (cert, key) = TestCertificates.WritePem(shared, _folder.FullName, "shared");
        using var tls = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = cert, KeyPath = key })!;
        using var logs = new CapturingLoggerProvider();

        var (dialled, accepted) = await ConnectAsync(null, tls, logs);

        dialled.Should().BeNull();
        accepted.Should().BeNull();
        logs.Entries.Select(e => e.Message).Should().Contain(m => m.Contains("it does not use TLS but Cluster:Tls:Enabled is true on this node", StringComparison.Ordinal));
        logs.Entries.Select(e => e.Message).Should().Contain(m => m.Contains("was refused by the peer: this node requires TLS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Establish_UntrustedPeerCertificate_Refused()
    {
        using var mine = TestCertificates.SelfSigned("cluster");
        using var theirs = TestCertificates.SelfSigned("cluster");
        var (certA, keyA) = TestCertificates.WritePem(mine, _folder.FullName, "a");
        var (certB, keyB) = TestCertificates.WritePem(theirs, _folder.FullName, "b");
        using var tlsA = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = certA, KeyPath = keyA })!;
        using var tlsB = LinkTls.Create(new ClusterTlsOptions { Enabled = true, CertificatePath = certB, KeyPath = keyB })!;
        using var logs = new CapturingLoggerProvider();

        var (dialled, accepted) = await ConnectAsync(tlsA, tlsB, logs);

        dialled.Should().BeNull();
        accepted.Should().BeNull();
        logs.Entries.Select(e => e.Message).Should().Contain(m => m.Contains("TLS handshake of the cluster link", StringComparison.Ordinal));
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private static async Task<(NodeLink? Dialled, NodeLink? Accepted)> ConnectAsync(LinkTls? dialler, LinkTls? acceptor, CapturingLoggerProvider logs)
    {
        var key = LinkHandshake.Key("a-cluster-secret-for-tests");
        var timeout = TimeSpan.FromSeconds(20);
        var a = new LinkEstablisher(key, 100, timeout, logs.CreateLogger("a"), dialler);
        var b = new LinkEstablisher(key, 100, timeout, logs.CreateLogger("b"), acceptor);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var accept = Task.Run(async () => await b.AcceptAsync(await listener.AcceptAsync(), 2, "node-b", _ => true, default));
        var dial = a.DialAsync("127.0.0.1", port, 1, "node-a", 2, default);
        var finished = Task.WhenAll(accept, dial);
        (await Task.WhenAny(finished, Task.Delay(timeout))).Should().BeSameAs(finished, "a mismatched pair must fail, not hang");
        return (await dial, await accept);
    }
}
