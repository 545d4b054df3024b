using Microsoft.Extensions.DependencyInjection;
using Rookery.Integration.Tests.Components;
using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Push;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Push;

/// <summary>
/// Push notifications (XEP-0357) over real sockets: a client registers an app server, and the app server (an external
/// component, XEP-0114, connected to the server under test and speaking exact XML) gets a publish for each message that
/// waits for the user, offline or queued for a session waiting for resumption.
/// </summary>
public sealed class PushTests
{
    private const string Push = "urn:xmpp:push:0";
    private const string Pubsub = "http://jabber.org/protocol/pubsub";
    private const string XData = "jabber:x:data";
    private const string Sm = "urn:xmpp:sm:3";
    private const string AppServer = "push.localhost";
    private const string Secret = "app-secret";
    private const string Node = "yxs32uqsflafdk3iuqo";

    private const string PublishOptions =
        "<x xmlns='jabber:x:data' type='submit'>" +
        "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>" +
        "<field var='secret'><value>eruio234vzxc2kla-91</value></field></x>";

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Fact]
    public async Task Enable_ThenOffline_AppServerGetsPublishWithNodeSummaryAndPublishOptions()
    {
        await using var scene = await Scene.StartAsync();
        var (server, app, bob) = scene;
        await using (var alice = await server.LoginAsync("alice", resource: "phone"))
        {
            // §4.1: the client checks its own bare JID for the feature.
            var info = (await alice.GetAsync(server.Bare("alice"), "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
            info.Elements().Should().Contain(e => e.Name == "feature" && e.GetAttribute("var") == Push, "{0}", info);

            (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'>{PublishOptions}</enable>")).ShouldBeResult();
        }

        await WaitOfflineAsync(server, "alice");
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>Wherefore art thou?</body></message>");

        var publish = await NextPublishAsync(app);
        publish.GetAttribute("from").Should().Be(server.Bare("alice"), "§7: the server publishes as the user's bare JID");
        publish.GetAttribute("to").Should().Be(AppServer);
        var pubsub = publish.Child("pubsub", Pubsub)!;
        pubsub.Child("publish", Pubsub)!.GetAttribute("node").Should().Be(Node);
        var summary = Summary(publish);
        summary.GetAttribute("type").Should().Be("form");
        Field(summary, "FORM_TYPE").Should().Be("urn:xmpp:push:summary");
        Field(summary, "message-count").Should().Be("1");
        Field(summary, "last-message-sender").Should().BeNull("the sender is left out unless configured");
        Field(summary, "last-message-body").Should().BeNull("the body is left out unless configured");
        var options = pubsub.Child("publish-options", Pubsub)!.Child("x", XData)!;
        Field(options, "FORM_TYPE").Should().Be("http://jabber.org/protocol/pubsub#publish-options");
        Field(options, "secret").Should().Be("eruio234vzxc2kla-91");
        (await server.Storage.Offline.CountAsync(server.Bare("alice"))).Should().Be(1, "the notification comes on top of offline storage");
        await AnswerAsync(app, publish, error: null);

        // A second waiting message: the count is what waits offline.
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m2'><body>Again</body></message>");
        var second = await NextPublishAsync(app);
        Field(Summary(second), "message-count").Should().Be("2");
        second.GetAttribute("id").Should().NotBe(publish.GetAttribute("id"));
        await AnswerAsync(app, second, error: null);

        // A chat state alone is stored offline by nobody's rule but is not worth waking a device for.
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m3'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
        await app.ExpectNothingAsync(Quiet, IsPublish);
    }

    [Fact]
    public async Task Notification_IncludeSenderAndBodyConfigured_CarriesThem()
    {
        await using var scene = await Scene.StartAsync(push: new PushOptions { IncludeSender = true, IncludeBody = true });
        var (server, app, bob) = scene;
        await EnableAndLeaveAsync(server, "alice", $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>");

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>Hello there</body></message>");

        var publish = await NextPublishAsync(app);
        var summary = Summary(publish);
        Field(summary, "last-message-sender").Should().Be(server.Bare("bob"));
        Field(summary, "last-message-body").Should().Be("Hello there");
        publish.Child("pubsub", Pubsub)!.Child("publish-options", Pubsub).Should().BeNull("none was given when enabling");
    }

    [Fact]
    public async Task Notification_EncryptedMessageWithoutBody_IsSent()
    {
        await using var scene = await Scene.StartAsync();
        var (server, app, bob) = scene;
        await EnableAndLeaveAsync(server, "alice", $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>");

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted></message>");

        Field(Summary(await NextPublishAsync(app)), "message-count").Should().Be("1");
    }

    [Fact]
    public async Task Disable_ThatNode_NoMoreNotificationsAndRegistrationGone()
    {
        await using var scene = await Scene.StartAsync();
        var (server, app, bob) = scene;
        await using (var alice = await server.LoginAsync("alice", resource: "phone"))
        {
            (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeResult();
            (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='other'/>")).ShouldBeResult();
            (await server.Storage.Push.GetAsync(server.Bare("alice"))).Should().HaveCount(2);

            (await alice.SetAsync(null, $"<disable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeResult();
            (await server.Storage.Push.GetAsync(server.Bare("alice"))).Select(r => r.Node).Should().Equal("other");

            // §6: without a node, every registration of the service goes.
            (await alice.SetAsync(null, $"<disable xmlns='{Push}' jid='{AppServer}'/>")).ShouldBeResult();
            (await server.Storage.Push.GetAsync(server.Bare("alice"))).Should().BeEmpty();
        }

        await WaitOfflineAsync(server, "alice");
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>anyone?</body></message>");
        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync(server.Bare("alice")) == 1, "the message is stored offline");

        await app.ExpectNothingAsync(Quiet, IsPublish);
    }

    [Fact]
    public async Task AppServerError_Cancel_RegistrationRemoved_Wait_RegistrationKept()
    {
        await using var scene = await Scene.StartAsync();
        var (server, app, bob) = scene;
        await EnableAndLeaveAsync(server, "alice", $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>");

        // A wait error is transient: the registration stays, and the next message is notified again.
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>one</body></message>");
        await AnswerAsync(app, await NextPublishAsync(app), error: "<error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
        await Eventually.TrueAsync(() => server.Logs.Entries.Any(e => e.EventId.Id == 5405), "the wait error was handled");
        (await server.Storage.Push.GetAsync(server.Bare("alice"))).Should().HaveCount(1);

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>two</body></message>");
        await AnswerAsync(app, await NextPublishAsync(app), error: "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");

        await Eventually.TrueAsync(async () => (await server.Storage.Push.GetAsync(server.Bare("alice"))).Count == 0, "the registration is removed after a cancel error");
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>three</body></message>");
        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync(server.Bare("alice")) == 3, "the third message is stored offline");
        await app.ExpectNothingAsync(Quiet, IsPublish);
    }

    [Fact]
    public async Task SessionWaitingForResumption_MessageArrives_AppServerNotifiedWithCount()
    {
        await using var scene = await Scene.StartAsync();
        var (server, app, bob) = scene;
        var alice = await server.LoginAsync("alice", resource: "phone");
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeResult();
        await alice.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        await alice.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm);
        var aliceJid = alice.Jid!;

        // The socket dies without </stream:stream>: the session waits for resumption (XEP-0198 §5).
        alice.Abort();
        await WaitDetachedAsync(server, aliceJid);

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='h1'><body>are you there?</body></message>");
        var publish = await NextPublishAsync(app);
        publish.GetAttribute("from").Should().Be(server.Bare("alice"));
        Field(Summary(publish), "message-count").Should().Be("1");
        await AnswerAsync(app, publish, error: null);

        await bob.SendAsync($"<message to='{aliceJid}' type='chat' id='h2'><body>hello?</body></message>");
        Field(Summary(await NextPublishAsync(app)), "message-count").Should().Be("2", "two messages wait for the session");
        (await server.Storage.Offline.CountAsync(server.Bare("alice"))).Should().Be(0, "the messages wait in the session, not offline");
    }

    [Fact]
    public async Task ConnectionDrops_WithUnacknowledgedMessages_AppServerNotifiedOfAllOfThem()
    {
        await using var scene = await Scene.StartAsync();
        var (server, app, bob) = scene;
        var alice = await server.LoginAsync("alice", resource: "phone");
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeResult();
        await alice.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        await alice.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm);

        // Three messages reach a client that never acknowledges them (its network is already gone, say), and a receipt.
        for (var i = 1; i <= 3; i++)
        {
            await bob.SendAsync($"<message to='{alice.Jid}' type='chat' id='u{i}'><body>unacked {i}</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == $"u{i}");
        }

        await bob.SendAsync($"<message to='{alice.Jid}' type='chat' id='u4'><received xmlns='urn:xmpp:receipts' id='x'/></message>");
        await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "u4");
        await app.ExpectNothingAsync(TimeSpan.FromMilliseconds(200), IsPublish); // nothing waits while the client is connected

        // The connection drops: what the client never acknowledged waits for resumption, and the device is woken for it
        // without waiting for another message (a burst may be published once, with the count of the whole burst).
        alice.Abort();
        await WaitDetachedAsync(server, alice.Jid!);
        var counts = new List<string?>();
        while (counts.LastOrDefault() != "3")
        {
            var publish = await NextPublishAsync(app);
            counts.Add(Field(Summary(publish), "message-count"));
        }

        counts.Should().HaveCountLessThanOrEqualTo(3).And.OnlyHaveUniqueItems();
        await app.ExpectNothingAsync(Quiet, IsPublish);
    }

    [Fact]
    public async Task SessionWaitingForResumption_NotResumed_MessageStoredOfflineWithoutSecondNotification()
    {
        await using var scene = await Scene.StartAsync(resumeSeconds: 3);
        var (server, app, bob) = scene;
        var alice = await server.LoginAsync("alice", resource: "phone");
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeResult();
        await alice.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        await alice.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm);
        alice.Abort();
        await WaitDetachedAsync(server, alice.Jid!);

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>before the wait ends</body></message>");
        await AnswerAsync(app, await NextPublishAsync(app), error: null);

        // The wait runs out: the message goes to offline storage (XEP-0198 §5), and the device was told already.
        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync(server.Bare("alice")) == 1, "the message is stored offline after the wait");
        await app.ExpectNothingAsync(Quiet, IsPublish);
    }

    [Fact]
    public async Task SessionWaitingForResumption_RegisteredFromAnotherResource_NotifiedOnlyOnceStoredOffline()
    {
        await using var scene = await Scene.StartAsync(resumeSeconds: 3);
        var (server, app, bob) = scene;
        await using (var phone = await server.LoginAsync("alice", resource: "phone"))
        {
            (await phone.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeResult();
        }

        var laptop = await server.LoginAsync("alice", resource: "laptop");
        await laptop.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        await laptop.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm);
        laptop.Abort();
        await WaitDetachedAsync(server, laptop.Jid!);

        // The laptop never enabled push: its waiting session wakes no device (the phone's registration is for the phone).
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>for the laptop</body></message>");
        await app.ExpectNothingAsync(Quiet, IsPublish);

        // When the laptop's wait runs out, the message is stored offline, which wakes every registered device.
        var publish = await NextPublishAsync(app);
        Field(Summary(publish), "message-count").Should().Be("1");
        (await server.Storage.Offline.CountAsync(server.Bare("alice"))).Should().Be(1);
    }

    [Fact]
    public async Task Enable_BadRequests_AnsweredWithErrors()
    {
        await using var server = await StartAsync(push: new PushOptions { MaxRegistrationsPerUser = 2 });
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");

        (await alice.SetAsync(null, $"<enable xmlns='{Push}' node='{Node}'/>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='@@bad' node='{Node}'/>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.SetAsync(null, $"<disable xmlns='{Push}'/>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:example</value></field></x></enable>"))
            .ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.SetAsync(server.Bare("bob"), $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await server.Storage.Push.GetAsync(server.Bare("bob"))).Should().BeEmpty();

        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='1'/>")).ShouldBeResult();
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='2'/>")).ShouldBeResult();
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='3'/>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        // Re-enabling a registered pair replaces it, within the limit (§5).
        (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='2'>{PublishOptions}</enable>")).ShouldBeResult();
        var stored = await server.Storage.Push.GetAsync(server.Bare("alice"));
        stored.Select(r => r.Node).Should().Equal("1", "2");
        stored[1].PublishOptions.Should().Contain("eruio234vzxc2kla-91");
        stored[1].Resource.Should().Be("test");
    }

    [Fact]
    public async Task ModuleDisabled_NoFeature_EnableServiceUnavailable_NoNotification()
    {
        await using var scene = await Scene.StartAsync(disabled: true);
        var (server, app, bob) = scene;
        await using (var alice = await server.LoginAsync("alice"))
        {
            var info = (await alice.GetAsync(server.Bare("alice"), "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
            info.Elements().Should().NotContain(e => e.Name == "feature" && e.GetAttribute("var") == Push);
            (await alice.SetAsync(null, $"<enable xmlns='{Push}' jid='{AppServer}' node='{Node}'/>")).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        }

        // Even a registration left in storage from when the module was on wakes nobody.
        await server.Storage.Push.TryEnableAsync(new Rookery.Storage.PushRegistration(server.Bare("alice"), AppServer, Node, null, "test", DateTimeOffset.UtcNow), 10);
        await WaitOfflineAsync(server, "alice");
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>hi</body></message>");
        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync(server.Bare("alice")) == 1, "the message is stored offline");
        await app.ExpectNothingAsync(Quiet, IsPublish);
    }

    private static Task<TestServer> StartAsync(PushOptions? push = null, bool disabled = false, int? resumeSeconds = null) =>
        TestServer.StartAsync(o =>
        {
            o.Components[AppServer] = new ComponentDomainOptions { Secret = Secret };
            if (resumeSeconds is { } seconds)
            {
                o.StreamManagement = new StreamManagementOptions { ResumeTimeoutSeconds = seconds };
            }

            if (push is not null)
            {
                ModuleTestExtensions.SetInit(o.Modules, nameof(o.Modules.Push), push);
            }

            if (disabled)
            {
                o.DisabledModules.Add("push");
            }
        });

    /// <summary>The app server's XMPP Push Service: an external component with exact XML on the wire.</summary>
    private static async Task<RawXmppClient> ConnectAppServerAsync(TestServer server)
    {
        var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, AppServer);
        await component.OpenComponentStreamAsync(AppServer);
        (await component.ComponentHandshakeAsync(Secret)).Name.Should().Be("handshake");
        await TestComponent.WaitForInstancesAsync(server, AppServer, 1);
        return component;
    }

    private static async Task EnableAndLeaveAsync(TestServer server, string user, string enable)
    {
        await using (var client = await server.LoginAsync(user, resource: "phone"))
        {
            (await client.SetAsync(null, enable)).ShouldBeResult();
        }

        await WaitOfflineAsync(server, user);
    }

    private static Task WaitOfflineAsync(TestServer server, string user) =>
        Eventually.TrueAsync(
            () => server.Services.GetRequiredService<SessionTable>().Sessions(Jid.Parse(server.Bare(user))).Length == 0,
            $"{user} has no session left");

    private static Task WaitDetachedAsync(TestServer server, Jid jid) =>
        Eventually.TrueAsync(
            () => server.Services.GetRequiredService<SessionTable>().Find(jid) is ClientSession { IsDetached: true },
            $"{jid}'s session waits for resumption");

    private static bool IsPublish(Element e) => e.Name == "iq" && e.GetAttribute("type") == "set" && e.Child("pubsub", Pubsub) is not null;

    private static Task<Element> NextPublishAsync(RawXmppClient app) => app.WaitForAsync(IsPublish);

    private static Element Summary(Element publish) =>
        publish.Child("pubsub", Pubsub)!.Child("publish", Pubsub)!.Child("item", Pubsub)!.Child("notification", Push)!.Child("x", XData)!;

    private static string? Field(Element form, string var) =>
        form.Elements().FirstOrDefault(f => f.Name == "field" && f.GetAttribute("var") == var)?.ChildText("value", XData);

    /// <summary>The app server answers a publish: a result, or the given error element.</summary>
    private static Task AnswerAsync(RawXmppClient app, Element publish, string? error) =>
        app.SendAsync(
            $"<iq type='{(error is null ? "result" : "error")}' from='{AppServer}' to='{publish.GetAttribute("from")}' id='{publish.GetAttribute("id")}'>{error}</iq>");

    /// <summary>
    /// What most tests start from: a server with alice and bob, the app server connected as a component, and bob
    /// logged in to send the messages that wait for alice.
    /// </summary>
    private sealed record Scene(TestServer Server, RawXmppClient App, RawXmppClient Bob) : IAsyncDisposable
    {
        public static async Task<Scene> StartAsync(PushOptions? push = null, bool disabled = false, int? resumeSeconds = null)
        {
            var server = await PushTests.StartAsync(push, disabled, resumeSeconds);
            try
            {
                await server.CreateUserAsync("alice");
                await server.CreateUserAsync("bob");
                var app = await ConnectAppServerAsync(server);
                return new Scene(server, app, await server.LoginAsync("bob"));
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Bob.DisposeAsync();
            await App.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
