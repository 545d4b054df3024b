using Rookery.Integration.Tests.Streams;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.StreamManagement;

/// <summary>Stream management (XEP-0198) over real sockets: acks, resumption, and what happens to unacked stanzas.</summary>
public sealed class StreamManagementTests
{
    private const string Sm = "urn:xmpp:sm:3";

    [Fact]
    public async Task Features_AfterAuthentication_OfferSm()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.AuthenticateAsync("alice");
        var features = client.Features!;

        features.Child("sm", Sm).Should().NotBeNull();
    }

    [Fact]
    public async Task Enable_WithResume_AnswersEnabledWithIdAndMax()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice", sendPresence: false);

        var enabled = await EnableAsync(alice, resume: true);

        enabled.GetAttribute("id").Should().NotBeNullOrEmpty();
        enabled.GetAttribute("resume").Should().Be("true");
        enabled.GetAttribute("max").Should().Be("300");
    }

    [Fact]
    public async Task R_CountsHandledStanzas()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice", sendPresence: false);
        await EnableAsync(alice, resume: false);

        await alice.SendAsync("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
        await alice.SendAsync("<message to='nobody@localhost'><body>x</body></message>");
        await alice.SendAsync($"<r xmlns='{Sm}'/>");

        var a = await alice.WaitForAsync(e => e.Name == "a" && e.Namespace == Sm);
        a.GetAttribute("h").Should().Be("2");
    }

    [Fact]
    public async Task Server_RequestsAcks_AndRejectsAckOfUnsentStanzas()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await EnableAsync(alice, resume: false);

        await bob.SendAsync($"<message to='{alice.Jid}' id='m1'><body>one</body></message>");
        await alice.WaitForAsync(e => e.Name == "message");
        await alice.WaitForAsync(e => e.Name == "r" && e.Namespace == Sm);
        await alice.SendAsync($"<a xmlns='{Sm}' h='1'/>");

        await alice.SendAsync($"<a xmlns='{Sm}' h='7'/>");
        (await alice.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.UndefinedCondition);
    }

    [Fact]
    public async Task Resume_AfterDroppedConnection_ResendsUnackedAndQueued()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var id = (await EnableAsync(alice, resume: true)).GetAttribute("id")!;
        var aliceJid = alice.Jid!;

        // One message in flight and never acknowledged, then the socket dies.
        await bob.SendAsync($"<message to='{aliceJid}' id='m1'><body>in flight</body></message>");
        await alice.WaitForAsync(e => e.Name == "message");
        alice.Abort();
        await WaitDetachedAsync(server, aliceJid);

        // While detached, the session still takes messages for the full JID.
        await bob.SendAsync($"<message to='{aliceJid}' id='m2'><body>while away</body></message>");

        await using var again = await server.AuthenticateAsync("alice");
        await again.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");

        var resumed = await again.ExpectAsync("resumed", Sm);
        resumed.GetAttribute("previd").Should().Be(id);
        (await again.WaitForAsync(e => e.Name == "message")).GetAttribute("id").Should().Be("m1");
        (await again.WaitForAsync(e => e.Name == "message")).GetAttribute("id").Should().Be("m2");

        // The resumed session is the same resource: it still receives messages to its full JID.
        await bob.SendAsync($"<message to='{aliceJid}' id='m3'><body>after</body></message>");
        (await again.WaitForAsync(e => e.Name == "message")).GetAttribute("id").Should().Be("m3");
    }

    [Fact]
    public async Task Resume_AckedStanzas_AreNotResent()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        var alice = await server.LoginAsync("alice", sendPresence: false);
        await using var bob = await server.LoginAsync("bob");
        var id = (await EnableAsync(alice, resume: true)).GetAttribute("id")!;

        await bob.SendAsync($"<message to='{alice.Jid}' id='m1'><body>1</body></message>");
        await bob.SendAsync($"<message to='{alice.Jid}' id='m2'><body>2</body></message>");
        await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m2");
        alice.Abort();
        await WaitDetachedAsync(server, alice.Jid!);

        await using var again = await server.AuthenticateAsync("alice");
        await again.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='1'/>");

        await again.ExpectAsync("resumed", Sm);
        var next = await again.WaitForAsync(e => e.Name == "message");
        next.GetAttribute("id").Should().Be("m2");
        await again.ExpectNothingAsync(TimeSpan.FromMilliseconds(300), e => e.Name == "message");
    }

    [Fact]
    public async Task Resume_UnknownId_FailsAndBindStillWorks()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.AuthenticateAsync("alice");

        await client.SendAsync($"<resume xmlns='{Sm}' previd='nope' h='0'/>");

        var failed = await client.ExpectAsync("failed", Sm);
        failed.Child("item-not-found", Ns.StanzaErrors).Should().NotBeNull();
        (await client.BindAsync("fresh")).Resource.Should().Be("fresh");
    }

    [Fact]
    public async Task Resume_OtherUsersSession_Fails()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("mallory");
        var alice = await server.LoginAsync("alice", sendPresence: false);
        var id = (await EnableAsync(alice, resume: true)).GetAttribute("id")!;
        alice.Abort();
        await WaitDetachedAsync(server, alice.Jid!);

        await using var mallory = await server.AuthenticateAsync("mallory");
        await mallory.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");

        await mallory.ExpectAsync("failed", Sm);
    }

    [Fact]
    public async Task ResumeTimeout_UnackedMessageGoesToOfflineStorage()
    {
        await using var server = await TestServer.StartAsync(o => o.StreamManagement = new StreamManagementOptions { ResumeTimeoutSeconds = 1 });
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await EnableAsync(alice, resume: true);

        await bob.SendAsync($"<message to='{alice.Jid}' id='lost'><body>must not vanish</body></message>");
        await alice.WaitForAsync(e => e.Name == "message");
        alice.Abort();

        // After the timeout the session ends and the unacknowledged message is stored offline.
        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync("alice@localhost") == 1, "alice has one offline message");
        await using var fresh = await server.LoginAsync("alice", resource: "fresh");
        var m = await fresh.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "lost");
        m.Child("delay", Ns.Delay).Should().NotBeNull();
    }

    [Fact]
    public async Task CleanClose_WithUnackedMessage_StoresItOffline()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await EnableAsync(alice, resume: true);

        await bob.SendAsync($"<message to='{alice.Jid}' id='u1'><body>unacked</body></message>");
        await alice.WaitForAsync(e => e.Name == "message");
        await alice.DisposeAsync();

        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync("alice@localhost") == 1, "alice has one offline message");
    }

    [Fact]
    public async Task DisabledModule_OffersNoFeature_AndRefusesEnable()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules = ["sm"]);
        await server.CreateUserAsync("alice");
        await using var client = await server.AuthenticateAsync("alice");
        var features = client.Features!;
        features.Child("sm", Sm).Should().BeNull();
        await client.BindAsync("r");

        await client.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");

        await client.ExpectAsync("failed", Sm);
    }

    [Fact]
    public async Task Enable_BeforeAuthentication_FailedAndStreamStaysOpen()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        await client.SendAsync($"<enable xmlns='{Sm}'/>");

        // XEP-0198 §3: "The server SHALL enforce this order and return a <failed/> element in response if the order
        // is violated" (SINT StreamManagementLowLevelIntegrationTest.testEnableBeforeLogin); the client may go on.
        var failed = await client.ExpectAsync("failed", Sm);
        failed.Child("unexpected-request", Ns.StanzaErrors).Should().NotBeNull("got {0}", failed);
        await client.AuthenticateScramAsync("alice", "secret");
        (await client.BindAsync("after")).Resource.Should().Be("after");
    }

    private static async Task<Element> EnableAsync(RawXmppClient client, bool resume)
    {
        await client.SendAsync($"<enable xmlns='{Sm}'{(resume ? " resume='true'" : string.Empty)}/>");
        return await client.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm);
    }

    private static Task WaitDetachedAsync(TestServer server, Rookery.Protocol.Addressing.Jid jid) =>
        Eventually.TrueAsync(
            () => ((Rookery.Server.Sessions.SessionTable)server.Services.GetService(typeof(Rookery.Server.Sessions.SessionTable))!).Find(jid) is Rookery.Server.Sessions.ClientSession { IsDetached: true },
            $"{jid}'s session is detached");

}
