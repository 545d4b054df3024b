using Rookery.Integration.Tests.Federation;
using Rookery.Integration.Tests.Modules;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Push;

/// <summary>
/// Push notifications (XEP-0357) to an app server on another XMPP server: the publish leaves over a server-to-server
/// stream, and the app server's error answer comes back over one and removes the registration.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PushFederationTests
{
    private const string DomainA = "a.test";
    private const string DomainB = "b.test";
    private const string Push = "urn:xmpp:push:0";
    private const string Pubsub = "http://jabber.org/protocol/pubsub";

    [Fact]
    public async Task AppServerAcrossServers_GetsPublish_ErrorAnswerRemovesRegistration()
    {
        var portA = RookeryProcess.FreePort();
        var portB = RookeryProcess.FreePort();
        await using var a = await FederationTests.StartServerAsync(DomainA, "dialback-secret-of-a", DomainB, portB, portA);
        await using var b = await FederationTests.StartServerAsync(DomainB, "dialback-secret-of-b", DomainA, portA, portB);
        await a.CreateUserAsync("alice");
        await a.CreateUserAsync("carol");
        await b.CreateUserAsync("pusher");
        // The app server is a client of b.test here: any JID can be a push service, and a full JID gets the iq as is.
        await using var app = await b.LoginAsync("pusher", resource: "app");
        await using var carol = await a.LoginAsync("carol");
        await using (var alice = await a.LoginAsync("alice", resource: "phone"))
        {
            (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='pusher@{DomainB}/app' node='n1'/>")).ShouldBeResult();
        }

        await Eventually.TrueAsync(
            () => a.Services.GetService(typeof(Rookery.Server.Sessions.SessionTable)) is Rookery.Server.Sessions.SessionTable t &&
                  t.Sessions(Rookery.Protocol.Addressing.Jid.Parse($"alice@{DomainA}")).Length == 0,
            "alice has no session left");
        await carol.SendAsync($"<message to='alice@{DomainA}' type='chat'><body>over there</body></message>");

        var publish = await app.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("type") == "set" && e.Child("pubsub", Pubsub) is not null);
        publish.GetAttribute("from").Should().Be($"alice@{DomainA}");
        publish.Child("pubsub", Pubsub)!.Child("publish", Pubsub)!.GetAttribute("node").Should().Be("n1");
        (await a.Storage.Push.GetAsync($"alice@{DomainA}")).Should().HaveCount(1);

        await app.SendAsync(
            $"<iq type='error' to='alice@{DomainA}' id='{publish.GetAttribute("id")}'><error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");

        await Eventually.TrueAsync(async () => (await a.Storage.Push.GetAsync($"alice@{DomainA}")).Count == 0, "the registration is removed after an auth error");
        a.Logs.Entries.Should().Contain(e => e.EventId.Id == 5404 && e.Message.Contains($"pusher@{DomainB}/app", StringComparison.Ordinal));
    }
}
