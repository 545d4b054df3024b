using System.Text;
using Rookery.Integration.Tests.Im;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>
/// FAST token logins (XEP-0484) inside SASL2 over real sockets: a token asked for at a password login, a one round-trip
/// login with it, the two-slot rotation, invalidation, and the rules that bind a token to one client and mechanism.
/// </summary>
public sealed class FastTests
{
    private const string Sasl2 = Sasl2Authenticate.Namespace;
    private const string Fast = Sasl2Authenticate.FastNamespace;
    private const string None = HashedTokenMechanism.None;

    [Fact]
    public async Task Features_OfferFastOnlyInsideTls_WithAMechanismWithoutChannelBinding()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var plainText = await client.OpenStreamAsync();
        var secure = await client.StartTlsAsync();

        plainText.Child("authentication", Sasl2)!.Child("inline", Sasl2)!.Child("fast", Fast).Should().BeNull();
        var mechanisms = secure.Child("authentication", Sasl2)!.Child("inline", Sasl2)!.Child("fast", Fast)!.Elements().Select(m => m.Text).ToList();
        mechanisms.Should().Contain(None).And.Contain(HashedTokenMechanism.EndPoint);
    }

    [Fact]
    public async Task RequestToken_AtPasswordLogin_ThenTokenLoginBindsInOneRoundTrip()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var agent = Guid.NewGuid().ToString();

        var token = await PasswordLoginWithTokenAsync(server, agent);

        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var success = await TokenLoginAsync(client, agent, token.Token, Bind2());
        success.Name.Should().Be("success", "got {0}", success);
        // The server proves it knows the token too (draft-schmaus-kitten-sasl-ht: the Responder HMAC).
        Convert.FromBase64String(success.ChildText("additional-data", Sasl2)!).Should().Equal(HashedTokenMechanism.Responder(token.Token, []));
        success.ChildText("authorization-identifier", Sasl2).Should().StartWith(server.Bare("alice") + "/");
        success.Child("token", Fast).Should().BeNull("a fresh token is not rotated");
        (await client.NextAsync()).Name.Should().Be("features");
    }

    [Fact]
    public async Task Token_FromAnotherClientOrWithAnotherMechanism_NotAuthorized()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var agent = Guid.NewGuid().ToString();
        var token = await PasswordLoginWithTokenAsync(server, agent);

        await using var other = await server.ConnectAsync();
        await other.OpenSecureStreamAsync();
        (await TokenLoginAsync(other, Guid.NewGuid().ToString(), token.Token)).Child("not-authorized", Ns.Sasl).Should().NotBeNull("a token belongs to its user agent");

        // XEP-0484 §4.4: bound to the mechanism it was issued for, even where the proof would check out.
        await using var endp = await server.ConnectAsync();
        await endp.OpenSecureStreamAsync();
        var downgrade = await TokenLoginAsync(endp, agent, token.Token, mechanism: HashedTokenMechanism.EndPoint, cbData: TlsServerEndPoint.Compute(endp.RemoteCertificate!));
        downgrade.Name.Should().Be("failure");
        downgrade.Namespace.Should().Be(Sasl2);
        downgrade.Child("not-authorized", Ns.Sasl).Should().NotBeNull("got {0}", downgrade);
    }

    [Fact]
    public async Task EndpToken_LoginNeedsTheConnectionsChannelBinding()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var agent = Guid.NewGuid().ToString();
        string token;
        await using (var first = await server.ConnectAsync())
        {
            await first.OpenSecureStreamAsync();
            var (issued, _) = await first.Sasl2ScramAsync("alice", "secret", Agent(agent) + $"<request-token xmlns='{Fast}' mechanism='{HashedTokenMechanism.EndPoint}'/>");
            token = issued.Child("token", Fast)!.GetAttribute("token")!;
        }

        await using var wrong = await server.ConnectAsync();
        await wrong.OpenSecureStreamAsync();
        var refused = await TokenLoginAsync(wrong, agent, token, mechanism: HashedTokenMechanism.EndPoint, cbData: new byte[32]);
        await using var right = await server.ConnectAsync();
        await right.OpenSecureStreamAsync();
        var cb = TlsServerEndPoint.Compute(right.RemoteCertificate!);
        var success = await TokenLoginAsync(right, agent, token, mechanism: HashedTokenMechanism.EndPoint, cbData: cb);

        refused.Child("not-authorized", Ns.Sasl).Should().NotBeNull("a proof for another channel must fail, got {0}", refused);
        success.Name.Should().Be("success", "got {0}", success);
        Convert.FromBase64String(success.ChildText("additional-data", Sasl2)!).Should().Equal(HashedTokenMechanism.Responder(token, cb));
    }

    [Fact]
    public async Task Rotation_OldTokenWorksUntilTheNewOneIsUsed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var agent = Guid.NewGuid().ToString();
        var first = await PasswordLoginWithTokenAsync(server, agent);

        // A token login that asks for a new token: the new one goes to the new slot, the first stays usable.
        var second = await TokenLoginExpectSuccessAsync(server, agent, first.Token, $"<request-token xmlns='{Fast}' mechanism='{None}'/>");
        var secondToken = second.Child("token", Fast)!.GetAttribute("token")!;
        secondToken.Should().NotBe(first.Token);
        await TokenLoginExpectSuccessAsync(server, agent, first.Token);

        // Once the client used the new token, the older one is gone (XEP-0484 §4.5).
        await TokenLoginExpectSuccessAsync(server, agent, secondToken);
        await using var late = await server.ConnectAsync();
        await late.OpenSecureStreamAsync();
        (await TokenLoginAsync(late, agent, first.Token)).Child("not-authorized", Ns.Sasl).Should().NotBeNull();
    }

    [Fact]
    public async Task Invalidate_TokenNoLongerWorks_AndNoNewTokenIsIssued()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var agent = Guid.NewGuid().ToString();
        var token = await PasswordLoginWithTokenAsync(server, agent);

        var success = await TokenLoginExpectSuccessAsync(server, agent, token.Token, fast: $"<fast xmlns='{Fast}' invalidate='true'/>");

        success.Child("token", Fast).Should().BeNull();
        await using var again = await server.ConnectAsync();
        await again.OpenSecureStreamAsync();
        (await TokenLoginAsync(again, agent, token.Token)).Child("not-authorized", Ns.Sasl).Should().NotBeNull();
    }

    [Fact]
    public async Task RequestToken_WithoutUserAgent_NoToken()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        var (success, _) = await client.Sasl2ScramAsync("alice", "secret", $"<request-token xmlns='{Fast}' mechanism='{None}'/>");

        success.Child("token", Fast).Should().BeNull("XEP-0484 §5.1: a token is for one client installation, named by its user-agent id");
    }

    private static string Agent(string id) => $"<user-agent id='{id}'><software>Tester</software></user-agent>";

    private static string Bind2() => $"<bind xmlns='{Bind2Request.Namespace}'><tag>Tester</tag></bind>";

    /// <summary>A SCRAM login asking for an HT-SHA-256-NONE token; returns the token and checks its expiry.</summary>
    private static async Task<(string Token, DateTimeOffset Expiry)> PasswordLoginWithTokenAsync(TestServer server, string agent)
    {
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var (success, _) = await client.Sasl2ScramAsync("alice", "secret", Agent(agent) + $"<request-token xmlns='{Fast}' mechanism='{None}'/>");
        var token = success.Child("token", Fast);
        token.Should().NotBeNull("got {0}", success);
        var expiry = DateTimeOffset.Parse(token!.GetAttribute("expiry")!, System.Globalization.CultureInfo.InvariantCulture);
        expiry.Should().BeAfter(DateTimeOffset.UtcNow.AddDays(20));
        return (token.GetAttribute("token")!, expiry);
    }

    private static async Task<Element> TokenLoginExpectSuccessAsync(TestServer server, string agent, string token, string extra = "", string? fast = null)
    {
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var outcome = await TokenLoginAsync(client, agent, token, extra, fast: fast);
        outcome.Name.Should().Be("success", "got {0}", outcome);
        return outcome;
    }

    private static async Task<Element> TokenLoginAsync(
        RawXmppClient client, string agent, string token, string extra = "", string mechanism = None, byte[]? cbData = null, string? fast = null)
    {
        var proof = HashedTokenMechanism.Initiator(token, cbData ?? []);
        byte[] initial = [.. Encoding.UTF8.GetBytes("alice"), 0, .. proof];
        await client.SendAsync(Sasl2Tests.Authenticate(mechanism, initial, Agent(agent) + (fast ?? $"<fast xmlns='{Fast}'/>") + extra));
        return await client.NextAsync();
    }
}
