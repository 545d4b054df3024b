using Rookery.Integration.Tests.Im;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>
/// The Extensible SASL Profile (XEP-0388) with Bind 2 (XEP-0386) and inline stream resumption (XEP-0198) over real
/// sockets, as Conversations, Monal and Smack use them: no stream restart after success, the inline results inside
/// &lt;success/&gt;, and sessions bound this way behaving like any other.
/// </summary>
public sealed class Sasl2Tests
{
    private const string Sasl2 = Sasl2Authenticate.Namespace;
    private const string Bind2 = Bind2Request.Namespace;
    private const string Sm = "urn:xmpp:sm:3";
    private const string Carbons = "urn:xmpp:carbons:2";

    [Fact]
    public async Task Features_BeforeAuthentication_OfferSasl2WithMechanismsAndInlineBind2AndSm()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var plainText = await client.OpenStreamAsync();
        var secure = await client.StartTlsAsync();

        // PLAIN only inside TLS, as with RFC 6120 SASL; the two lists are the same.
        Mechanisms(plainText).Should().NotContain("PLAIN").And.Contain("SCRAM-SHA-256");
        Mechanisms(secure).Should().Contain("PLAIN").And.Contain("SCRAM-SHA-256");
        Mechanisms(secure).Should().Equal(secure.Mechanisms());
        var inline = secure.Child("authentication", Sasl2)!.Child("inline", Sasl2)!;
        inline.Child("sm", Sm).Should().NotBeNull();
        var features = inline.Child("bind", Bind2)!.Child("inline", Bind2)!.Elements().Select(f => f.GetAttribute("var"));
        features.Should().BeEquivalentTo([Carbons, "urn:xmpp:csi:0", Sm]);
    }

    [Fact]
    public async Task Scram_WithBind2_BoundInlineWithoutRestart_AndExchangesMessagesWithLegacyClient()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.ConnectAsync();
        await alice.OpenSecureStreamAsync();

        var (success, features) = await alice.Sasl2ScramAsync("alice", "secret", Bind("<tag>Tester</tag>"));

        var full = Jid.Parse(success.ChildText("authorization-identifier", Sasl2)!);
        full.Bare.Should().Be(Jid.Parse(server.Bare("alice")));
        full.Resource.Should().StartWith("Tester/");
        success.Child("bound", Bind2).Should().NotBeNull();
        // Already bound: the features that follow <success/> offer no resource binding.
        features.Child("bind", Ns.Bind).Should().BeNull();
        features.Child("sm", Sm).Should().NotBeNull();

        // An ordinary session: messages flow both ways with a client that bound the RFC 6120 way.
        await bob.SendAsync($"<message to='{full}' id='b1' type='chat'><body>hi alice</body></message>");
        (await alice.WaitForAsync(e => e.Name == "message")).GetAttribute("from").Should().Be(bob.Jid!.ToString());
        await alice.SendAsync($"<message to='{bob.Jid}' id='a1' type='chat'><body>hi bob</body></message>");
        (await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "a1")).GetAttribute("from").Should().Be(full.ToString());
    }

    [Fact]
    public async Task Scram_WithoutBind_SuccessNamesBareJid_ThenLegacyBindOnTheSameStream()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.ConnectAsync();
        await alice.OpenSecureStreamAsync();

        var (success, features) = await alice.Sasl2ScramAsync("alice", "secret");

        success.ChildText("authorization-identifier", Sasl2).Should().Be(server.Bare("alice"));
        features.Child("bind", Ns.Bind).Should().NotBeNull();
        // No stream restart: the RFC 6120 bind goes over the same stream, with no new header.
        var jid = await alice.BindAsync("legacy");
        jid.ToString().Should().Be(server.Bare("alice") + "/legacy");
    }

    [Fact]
    public async Task SameUserAgent_GetsTheSameResource_AndReplacesTheOlderSession()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var agent = $"<user-agent id='{Guid.NewGuid()}'><software>Tester</software><device>Phone</device></user-agent>";
        await using var first = await server.ConnectAsync();
        await first.OpenSecureStreamAsync();
        var (one, _) = await first.Sasl2ScramAsync("alice", "secret", agent + Bind("<tag>Tester</tag>"));

        await using var second = await server.ConnectAsync();
        await second.OpenSecureStreamAsync();
        var (two, _) = await second.Sasl2ScramAsync("alice", "secret", agent + Bind("<tag>Tester</tag>"));

        two.ChildText("authorization-identifier", Sasl2).Should().Be(one.ChildText("authorization-identifier", Sasl2));
        // XEP-0386 §3.2: the earlier session of the same client ends (RFC 6120 §7.7.2.2 conflict).
        (await first.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.Conflict);
    }

    [Fact]
    public async Task WrongPassword_NotAuthorizedInSasl2FailureAfterTheFailureDelay_AndTheStreamTakesARetry()
    {
        await using var server = await TestServer.StartAsync(auth: new AuthOptions { FailureDelayMilliseconds = 300, MaxFailureDelayMilliseconds = 5000 });
        await server.CreateUserAsync("alice");
        await using var alice = await server.ConnectAsync();
        await alice.OpenSecureStreamAsync();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failure = await alice.Sasl2ScramAttemptAsync("alice", "wrong", Bind(string.Empty));

        // The same slow-down as RFC 6120 SASL failures (LoginThrottle); the clock includes both round trips.
        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(295));
        failure.Name.Should().Be("failure");
        failure.Namespace.Should().Be(Sasl2);
        failure.Child("not-authorized", Ns.Sasl).Should().NotBeNull("got {0}", failure);
        var (success, _) = await alice.Sasl2ScramAsync("alice", "secret", Bind(string.Empty));
        success.ChildText("authorization-identifier", Sasl2).Should().StartWith(server.Bare("alice") + "/");
    }

    [Fact]
    public async Task DisabledAccount_RightPassword_AccountDisabledInSasl2Failure()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        (await server.Storage.Accounts.SetDisabledAsync(server.Domain, "alice", disabled: true)).Should().BeTrue();
        await using var alice = await server.ConnectAsync();
        await alice.OpenSecureStreamAsync();

        var failure = await alice.Sasl2ScramAttemptAsync("alice", "secret", Bind(string.Empty));

        failure.Name.Should().Be("failure");
        failure.Namespace.Should().Be(Sasl2);
        failure.Child("account-disabled", Ns.Sasl).Should().NotBeNull("got {0}", failure);
    }

    [Fact]
    public async Task Plain_WithoutTls_InvalidMechanism_AndInsideTls_Succeeds()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();

        await client.SendAsync(Authenticate("PLAIN", PlainResponse("alice", "secret"), string.Empty));
        var refused = await client.NextAsync();

        refused.Name.Should().Be("failure");
        refused.Namespace.Should().Be(Sasl2);
        refused.Child("invalid-mechanism", Ns.Sasl).Should().NotBeNull("got {0}", refused);

        await client.StartTlsAsync();
        await client.SendAsync(Authenticate("PLAIN", PlainResponse("alice", "secret"), Bind(string.Empty)));
        (await client.NextAsync()).Name.Should().Be("success");
    }

    [Fact]
    public async Task Abort_DuringScram_AbortedFailure()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var scram = new ScramClient(ScramHash.Sha256, "alice", "secret", StreamAssert.NewNonce());
        await client.SendAsync(Authenticate("SCRAM-SHA-256", scram.ClientFirst(), string.Empty));
        await client.ExpectAsync("challenge", Sasl2);

        await client.SendAsync($"<abort xmlns='{Sasl2}'/>");

        var failure = await client.ExpectAsync("failure", Sasl2);
        failure.Child("aborted", Ns.Sasl).Should().NotBeNull("got {0}", failure);
    }

    [Fact]
    public async Task OtherTraffic_DuringScram_ClosesTheStream()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var scram = new ScramClient(ScramHash.Sha256, "alice", "secret", StreamAssert.NewNonce());
        await client.SendAsync(Authenticate("SCRAM-SHA-256", scram.ClientFirst(), string.Empty));
        await client.ExpectAsync("challenge", Sasl2);

        // XEP-0388 §2.5: only <response/> or <abort/> while authentication is in progress.
        await client.SendAsync("<iq type='get' id='x'><ping xmlns='urn:xmpp:ping'/></iq>");

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.PolicyViolation);
    }

    [Fact]
    public async Task InlineSmEnable_ThenInlineResume_AfterDroppedConnection_ResendsUnacked()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        var alice = await server.ConnectAsync();
        await alice.OpenSecureStreamAsync();
        var (success, _) = await alice.Sasl2ScramAsync("alice", "secret", Bind($"<enable xmlns='{Sm}' resume='true'/>"));
        var enabled = success.Child("bound", Bind2)!.Child("enabled", Sm);
        enabled.Should().NotBeNull("got {0}", success);
        enabled!.GetAttribute("resume").Should().Be("true");
        var id = enabled.GetAttribute("id")!;
        var full = Jid.Parse(success.ChildText("authorization-identifier", Sasl2)!);

        await bob.SendAsync($"<message to='{full}' id='m1'><body>in flight</body></message>");
        await alice.WaitForAsync(e => e.Name == "message");
        alice.Abort();
        await Eventually.TrueAsync(
            () => ((SessionTable)server.Services.GetService(typeof(SessionTable))!).Find(full) is ClientSession { IsDetached: true },
            $"{full}'s session is detached");
        await bob.SendAsync($"<message to='{full}' id='m2'><body>while away</body></message>");

        await using var again = await server.ConnectAsync();
        await again.OpenSecureStreamAsync();
        // Resumption comes first; the bind request beside it is ignored when resumption works (XEP-0386 §3.2).
        var (resumedSuccess, features) = await again.Sasl2ScramAsync("alice", "secret", $"<resume xmlns='{Sm}' previd='{id}' h='0'/>" + Bind(string.Empty));

        resumedSuccess.ChildText("authorization-identifier", Sasl2).Should().Be(full.ToString());
        resumedSuccess.Child("resumed", Sm)!.GetAttribute("previd").Should().Be(id);
        resumedSuccess.Child("bound", Bind2).Should().BeNull();
        features.Child("bind", Ns.Bind).Should().BeNull();
        (await again.WaitForAsync(e => e.Name == "message")).GetAttribute("id").Should().Be("m1");
        (await again.WaitForAsync(e => e.Name == "message")).GetAttribute("id").Should().Be("m2");
    }

    [Fact]
    public async Task InlineResume_UnknownId_FailedInSuccess_AndBindsANewSession()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.ConnectAsync();
        await alice.OpenSecureStreamAsync();

        var (success, _) = await alice.Sasl2ScramAsync("alice", "secret", $"<resume xmlns='{Sm}' previd='nope' h='0'/>" + Bind("<tag>Tester</tag>"));

        success.Child("failed", Sm)!.Child("item-not-found", Ns.StanzaErrors).Should().NotBeNull("got {0}", success);
        success.Child("bound", Bind2).Should().NotBeNull();
        success.ChildText("authorization-identifier", Sasl2).Should().StartWith(server.Bare("alice") + "/Tester/");
    }

    [Fact]
    public async Task InlineCarbons_OtherResourceReceivesCarbonCopies()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        await using var laptop = await server.ConnectAsync();
        await laptop.OpenSecureStreamAsync();
        var (success, _) = await laptop.Sasl2ScramAsync("alice", "secret", Bind($"<enable xmlns='{Carbons}'/>"));
        var laptopJid = success.ChildText("authorization-identifier", Sasl2)!;
        // Carbons go to available resources only (XEP-0280 §6): the laptop announces itself first.
        await laptop.SendAsync("<presence/>");
        await laptop.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == laptopJid && e.GetAttribute("type") is null);

        // A message bob sends to alice's other resource reaches the laptop as a <received/> carbon...
        await bob.SendAsync($"<message to='{phone.Jid}' id='r1' type='chat'><body>to the phone</body></message>");
        var received = await laptop.WaitForAsync(e => e.Name == "message");
        received.GetAttribute("to").Should().Be(laptopJid);
        received.Child("received", Carbons)!.Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!.GetAttribute("id").Should().Be("r1");

        // ...and one the phone sends as a <sent/> carbon.
        await phone.SendAsync($"<message to='{bob.Jid}' id='s1' type='chat'><body>from the phone</body></message>");
        var sent = await laptop.WaitForAsync(e => e.Name == "message");
        sent.Child("sent", Carbons)!.Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!.GetAttribute("id").Should().Be("s1");
    }

    [Fact]
    public async Task InlineCsiInactive_SessionStartsInactive()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.ConnectAsync();
        await alice.OpenSecureStreamAsync();

        var (success, _) = await alice.Sasl2ScramAsync("alice", "secret", Bind("<inactive xmlns='urn:xmpp:csi:0'/>"));

        var full = Jid.Parse(success.ChildText("authorization-identifier", Sasl2)!);
        var session = ((SessionTable)server.Services.GetService(typeof(SessionTable))!).Find(full) as ClientSession;
        session!.IsInactive.Should().BeTrue();
    }

    private static string[] Mechanisms(Element features) =>
        features.Child("authentication", Sasl2)?.Elements().Where(e => e.Name == "mechanism").Select(e => e.Text).ToArray() ?? [];

    private static string Bind(string inner) => $"<bind xmlns='{Bind2}'>{inner}</bind>";

    private static byte[] PlainResponse(string user, string password) => System.Text.Encoding.UTF8.GetBytes("\0" + user + "\0" + password);

    internal static string Authenticate(string mechanism, byte[] initial, string inline) =>
        $"<authenticate xmlns='{Sasl2}' mechanism='{mechanism}'><initial-response>{Convert.ToBase64String(initial)}</initial-response>{inline}</authenticate>";
}
