using System.Security.Authentication;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>STARTTLS (RFC 6120 §5), direct TLS (XEP-0368), SCRAM logins over TLS and -PLUS channel binding (RFC 5802 §6).</summary>
public sealed class TlsTests
{
    [Theory]
    [InlineData(ScramHash.Sha1)]
    [InlineData(ScramHash.Sha256)]
    [InlineData(ScramHash.Sha512)]
    public async Task StartTls_ThenScram_LogsInAndBinds(ScramHash hash)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();

        await client.OpenSecureStreamAsync();
        client.IsSecure.Should().BeTrue();
        var features = await client.AuthenticateScramAsync("alice", "secret", hash);
        features.Child("bind", Ns.Bind).Should().NotBeNull("after SASL the restarted stream offers binding");
        features.Mechanisms().Should().BeEmpty("SASL is done");
        var jid = await client.BindAsync("desk");

        jid.ToString().Should().Be($"alice@{server.Domain}/desk");
    }

    [Fact]
    public async Task DirectTls_Connect_OffersNoStartTlsAndLogsIn()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectDirectTlsAsync();

        client.IsSecure.Should().BeTrue();
        var features = await client.OpenStreamAsync();
        features.Child("starttls", Ns.Tls).Should().BeNull("XEP-0368: the stream is already encrypted");
        features.Mechanisms().Should().Contain(["PLAIN", "SCRAM-SHA-256-PLUS"]);
        await client.AuthenticateScramAsync("alice", "secret");
        var jid = await client.BindAsync("phone");

        jid.ToString().Should().Be($"alice@{server.Domain}/phone");
    }

    [Fact]
    public async Task ScramPlus_TlsServerEndPoint_SucceedsAndBinds()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var binding = TlsServerEndPoint.Compute(client.RemoteCertificate!);

        var (outcome, _) = await client.ScramAttemptAsync(
            "alice", "secret", ScramHash.Sha256, plus: true, gs2Header: "p=tls-server-end-point,,", bindingData: binding);

        outcome.Name.Should().Be("success", "got {0}", outcome);
        await client.OpenStreamAsync();
        (await client.BindAsync("cb")).ToString().Should().Be($"alice@{server.Domain}/cb");
    }

    [Fact]
    public async Task ScramPlus_TlsUniqueOverTls12_Succeeds()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        // tls-unique is defined for TLS 1.2 (RFC 5929 §3); it is the only binding many deployed clients implement.
        client.TlsProtocols = SslProtocols.Tls12;
        var features = await client.OpenSecureStreamAsync();
        client.TlsProtocol.Should().Be(SslProtocols.Tls12);
        features.Child("sasl-channel-binding", "urn:xmpp:sasl-cb:0")!.Elements().Select(e => e.GetAttribute("type")).Should().Contain("tls-unique");
        var binding = client.TlsUnique;
        binding.Should().NotBeNullOrEmpty();

        var (outcome, _) = await client.ScramAttemptAsync(
            "alice", "secret", ScramHash.Sha1, plus: true, gs2Header: "p=tls-unique,,", bindingData: binding);

        outcome.Name.Should().Be("success", "got {0}", outcome);
    }

    [Fact]
    public async Task ScramPlus_WrongBindingData_NotAuthorized()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        // The hash of some other certificate: what a client behind a TLS-terminating man in the middle would compute.
        var binding = TlsServerEndPoint.Compute(client.RemoteCertificate!);
        binding[0] ^= 0xFF;

        var (outcome, _) = await client.ScramAttemptAsync(
            "alice", "secret", ScramHash.Sha256, plus: true, gs2Header: "p=tls-server-end-point,,", bindingData: binding);

        outcome.ShouldBeSaslFailure(SaslFailure.NotAuthorized);
    }

    [Fact]
    public async Task Scram_ClientClaimsServerLacksPlus_NotAuthorizedAsDowngrade()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        // RFC 5802 §6: 'y' says "I support channel binding but you did not offer it" — false here, so an attacker stripped it.
        var (outcome, _) = await client.ScramAttemptAsync("alice", "secret", ScramHash.Sha256, gs2Header: "y,,");

        outcome.ShouldBeSaslFailure(SaslFailure.NotAuthorized);
    }

    [Fact]
    public async Task Auth_PlusMechanismBeforeTls_InvalidMechanism()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();

        var (outcome, _) = await client.ScramAttemptAsync(
            "alice", "secret", ScramHash.Sha256, plus: true, gs2Header: "p=tls-server-end-point,,", bindingData: [1, 2, 3]);

        outcome.ShouldBeSaslFailure(SaslFailure.InvalidMechanism);
    }

    [Fact]
    public async Task TlsRequiredHost_BeforeTls_OffersOnlyRequiredStartTls()
    {
        await using var server = await TestServer.StartAsync(o => o.Hosts["localhost"] = new HostOptions { TlsRequired = true });
        await using var client = await server.ConnectAsync();

        var features = await client.OpenStreamAsync();

        features.Child("starttls", Ns.Tls)?.Child("required", Ns.Tls).Should().NotBeNull("RFC 6120 §5.3.1: mandatory-to-negotiate");
        features.Child("mechanisms", Ns.Sasl).Should().BeNull("no authentication before TLS on this host");
    }

    [Fact]
    public async Task TlsRequiredHost_AuthBeforeTls_EncryptionRequired()
    {
        await using var server = await TestServer.StartAsync(o => o.Hosts["localhost"] = new HostOptions { TlsRequired = true });
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();

        await client.SendAsync(StreamAssert.Auth("SCRAM-SHA-256", new ScramClient(ScramHash.Sha256, "alice", "secret", StreamAssert.NewNonce()).ClientFirst()));

        (await client.NextAsync()).ShouldBeSaslFailure(SaslFailure.EncryptionRequired);
    }

    [Fact]
    public async Task TlsRequiredHost_AfterStartTls_LogsIn()
    {
        await using var server = await TestServer.StartAsync(o => o.Hosts["localhost"] = new HostOptions { TlsRequired = true });
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();

        var features = await client.OpenSecureStreamAsync();
        features.Mechanisms().Should().Contain("SCRAM-SHA-256");
        await client.AuthenticateScramAsync("alice", "secret");

        (await client.BindAsync("r")).ToString().Should().Be($"alice@{server.Domain}/r");
    }
}
