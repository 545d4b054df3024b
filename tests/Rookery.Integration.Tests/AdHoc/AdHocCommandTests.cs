using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.AdHoc;

/// <summary>
/// Ad-hoc commands (XEP-0050) and the service administration commands (XEP-0133) over real sockets: discovery, the
/// admin/non-admin split, multi-stage flows with a session id (next, prev, complete), cancel, and the protocol errors.
/// </summary>
public sealed class AdHocCommandTests
{
    private const string Commands = "http://jabber.org/protocol/commands";
    private const string Admin = "http://jabber.org/protocol/admin";
    private const string XData = "jabber:x:data";

    internal static Task<TestServer> StartAsync() => TestServer.StartAsync(o => o.Hosts["localhost"] = new Server.Hosts.HostOptions { Admins = ["boss@localhost"] });

    /// <summary>Starts a server with an admin (boss) and a plain user (alice), both signed in.</summary>
    internal static async Task<(TestServer Server, RawXmppClient Boss, RawXmppClient Alice)> StartWithUsersAsync()
    {
        var server = await StartAsync();
        await server.CreateUserAsync("boss");
        await server.CreateUserAsync("alice");
        return (server, await server.LoginAsync("boss"), await server.LoginAsync("alice"));
    }

    [Fact]
    public async Task CommandList_Admin_ListsAdminCommands_NonAdmin_None()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var bossItems = (await boss.GetAsync("localhost", $"<query xmlns='http://jabber.org/protocol/disco#items' node='{Commands}'/>")).ShouldBeResult()!;
        var aliceItems = (await alice.GetAsync("localhost", $"<query xmlns='http://jabber.org/protocol/disco#items' node='{Commands}'/>")).ShouldBeResult()!;

        bossItems.GetAttribute("node").Should().Be(Commands);
        bossItems.Elements().Select(i => i.GetAttribute("node")).Should().BeEquivalentTo(
            new[]
            {
                "add-user", "delete-user", "change-user-password", "end-user-session", "get-registered-users-num", "get-online-users-num",
                "get-online-users-list", "announce", "disable-user", "reenable-user", "get-user-roster", "user-stats",
                "get-registered-users-list", "get-disabled-users-num", "get-disabled-users-list", "get-active-users-num",
                "get-active-users", "get-idle-users-num", "get-idle-users", "set-motd", "edit-motd", "delete-motd",
            }
                .Select(n => Admin + "#" + n));
        bossItems.Elements().Should().OnlyContain(i => i.GetAttribute("jid") == "localhost" && !string.IsNullOrEmpty(i.GetAttribute("name")));
        aliceItems.Elements().Should().BeEmpty();
    }

    [Fact]
    public async Task CommandNodeInfo_Admin_CommandNodeIdentity_NonAdmin_Forbidden()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        var request = $"<query xmlns='http://jabber.org/protocol/disco#info' node='{Admin}#add-user'/>";

        var info = (await boss.GetAsync("localhost", request)).ShouldBeResult()!;
        var denied = await alice.GetAsync("localhost", request);

        var identity = info.Child("identity", info.Namespace)!;
        identity.GetAttribute("category").Should().Be("automation");
        identity.GetAttribute("type").Should().Be("command-node");
        info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).Should().BeEquivalentTo(Commands, XData);
        denied.ShouldBeError(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public async Task AddUser_Admin_FormThenComplete_AccountCanLogIn()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var form = await ExecuteAsync(boss, "add-user");
        form.GetAttribute("status").Should().Be("executing");
        var sessionId = form.GetAttribute("sessionid");
        sessionId.Should().NotBeNullOrEmpty();
        form.Child("actions", Commands)!.GetAttribute("execute").Should().Be("complete");
        FieldVars(form).Should().Contain(["FORM_TYPE", "accountjid", "password", "password-verify"]);

        var done = (await CommandAsync(boss, "add-user", "complete", sessionId, Submit(("accountjid", "carol@localhost"), ("password", "pw"), ("password-verify", "pw")))).ShouldBeResult()!;

        done.GetAttribute("status").Should().Be("completed");
        done.GetAttribute("sessionid").Should().Be(sessionId);
        done.Child("note", Commands)!.GetAttribute("type").Should().Be("info");
        await using var carol = await server.LoginAsync("carol", "pw");
        carol.Jid!.Local.Should().Be("carol");
    }

    [Fact]
    public async Task AddUser_NonAdmin_Forbidden_AndNothingCreated()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var reply = await CommandAsync(alice, "add-user", "execute", null, null);

        reply.ShouldBeError(StanzaErrorCondition.Forbidden);
        (await server.Storage.Accounts.CountAsync("localhost")).Should().Be(2);
    }

    [Fact]
    public async Task AddUser_ExistingAccount_OtherHost_Mismatch_InvalidJid_ErrorNotes_NothingCreated()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        async Task<Element> AddAsync(string jid, string verify)
        {
            var sessionId = (await ExecuteAsync(boss, "add-user")).GetAttribute("sessionid");
            return (await CommandAsync(boss, "add-user", "complete", sessionId, Submit(("accountjid", jid), ("password", "pw"), ("password-verify", verify)))).ShouldBeResult()!;
        }

        var taken = await AddAsync("alice@localhost", "pw");
        var otherHost = await AddAsync("eve@example.net", "pw");
        var mismatch = await AddAsync("eve@localhost", "other");
        var invalid = await AddAsync("eve@invalid@localhost", "pw");

        // A refused submission ends the command with an error note (XEP-0050 §3.4.2).
        foreach (var refused in new[] { taken, otherHost, mismatch, invalid })
        {
            refused.GetAttribute("status").Should().Be("completed");
            refused.Child("note", Commands)!.GetAttribute("type").Should().Be("error");
        }

        taken.ChildText("note", Commands).Should().Be("alice@localhost already exists");
        mismatch.ChildText("note", Commands).Should().Be("The passwords do not match");
        (await server.Storage.Accounts.ExistsAsync("example.net", "eve")).Should().BeFalse();
        (await server.Storage.Accounts.ExistsAsync("localhost", "eve")).Should().BeFalse();
    }

    [Fact]
    public async Task DeleteUser_NextPrevNextComplete_DeletesAndDisconnects()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var first = await ExecuteAsync(boss, "delete-user");
        var sessionId = first.GetAttribute("sessionid");
        var actions = first.Child("actions", Commands)!;
        actions.Elements().Select(a => a.Name).Should().Equal("next", "complete");
        actions.Child("prev", Commands).Should().BeNull("the first stage has nothing to go back to");

        var confirm = (await CommandAsync(boss, "delete-user", "next", sessionId, Submit(("accountjids", "alice@localhost"), ("accountjids", "ghost@localhost")))).ShouldBeResult()!;
        confirm.GetAttribute("status").Should().Be("executing");
        confirm.Child("actions", Commands)!.Elements().Select(a => a.Name).Should().Equal("prev", "complete");
        FieldVars(confirm).Should().Contain("confirm");
        confirm.Child("x", XData)!.Elements().Should().Contain(f => f.GetAttribute("type") == "fixed" && f.ChildText("value", XData) == "ghost@localhost does not exist");

        var back = (await CommandAsync(boss, "delete-user", "prev", sessionId, null)).ShouldBeResult()!;
        back.GetAttribute("status").Should().Be("executing");
        FieldVars(back).Should().Contain("accountjids").And.NotContain("confirm");
        (await server.Storage.Accounts.ExistsAsync("localhost", "alice")).Should().BeTrue("nothing is deleted before the last stage");

        (await CommandAsync(boss, "delete-user", "next", sessionId, Submit(("accountjids", "alice@localhost")))).ShouldBeResult();
        var done = (await CommandAsync(boss, "delete-user", "complete", sessionId, Submit(("confirm", "1")))).ShouldBeResult()!;

        done.GetAttribute("status").Should().Be("completed");
        done.ChildText("note", Commands).Should().Be("Deleted alice@localhost");
        (await alice.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.NotAuthorized);
        (await server.Storage.Accounts.ExistsAsync("localhost", "alice")).Should().BeFalse();
        // The session ended with the command.
        var after = await CommandAsync(boss, "delete-user", "complete", sessionId, Submit(("confirm", "1")));
        after.ShouldBeError(StanzaErrorCondition.BadRequest);
        AppCondition(after).Should().Be("bad-sessionid");
    }

    [Fact]
    public async Task DeleteUser_CompleteOnFirstForm_AsXep0133Shows()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await server.CreateUserAsync("dave");

        var sessionId = (await ExecuteAsync(boss, "delete-user")).GetAttribute("sessionid");
        var done = (await CommandAsync(boss, "delete-user", "execute", sessionId, Submit(("accountjids", "dave@localhost"), ("accountjids", "ghost@localhost")))).ShouldBeResult()!;

        done.GetAttribute("status").Should().Be("completed");
        var notes = done.Elements().Where(e => e.Name == "note").ToList();
        notes.Select(n => (n.GetAttribute("type"), n.Text)).Should().Equal(("info", "Deleted dave@localhost"), ("warn", "No such account: ghost@localhost"));
        (await server.Storage.Accounts.ExistsAsync("localhost", "dave")).Should().BeFalse();
    }

    [Fact]
    public async Task Cancel_EndsTheSession_NothingChanges()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var sessionId = (await ExecuteAsync(boss, "change-user-password")).GetAttribute("sessionid");
        var canceled = (await CommandAsync(boss, "change-user-password", "cancel", sessionId, null)).ShouldBeResult()!;
        var late = await CommandAsync(boss, "change-user-password", "complete", sessionId, Submit(("accountjid", "alice@localhost"), ("password", "new")));

        canceled.GetAttribute("status").Should().Be("canceled");
        canceled.GetAttribute("sessionid").Should().Be(sessionId);
        late.ShouldBeError(StanzaErrorCondition.BadRequest);
        AppCondition(late).Should().Be("bad-sessionid");
        await using var stillOld = await server.LoginAsync("alice", "secret", resource: "again");
    }

    [Fact]
    public async Task ChangeUserPassword_Admin_NewPasswordWorks_UnknownAccount_ErrorNote()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var sessionId = (await ExecuteAsync(boss, "change-user-password")).GetAttribute("sessionid");
        var unknown = (await CommandAsync(boss, "change-user-password", "complete", sessionId, Submit(("accountjid", "ghost@localhost"), ("password", "new")))).ShouldBeResult()!;
        sessionId = (await ExecuteAsync(boss, "change-user-password")).GetAttribute("sessionid");
        var done = (await CommandAsync(boss, "change-user-password", "complete", sessionId, Submit(("accountjid", "alice@localhost"), ("password", "new")))).ShouldBeResult()!;

        unknown.GetAttribute("status").Should().Be("completed");
        unknown.Child("note", Commands)!.GetAttribute("type").Should().Be("error");
        done.GetAttribute("status").Should().Be("completed");
        await using var again = await server.LoginAsync("alice", "new", resource: "again");
        again.Jid.Should().NotBeNull();
    }

    [Fact]
    public async Task Counts_RegisteredAndOnlineUsers()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await server.CreateUserAsync("offline");
        await using var alice2 = await server.LoginAsync("alice", resource: "second");

        var registered = await ExecuteAsync(boss, "get-registered-users-num");
        var online = await ExecuteAsync(boss, "get-online-users-num");

        registered.GetAttribute("status").Should().Be("completed");
        FieldValues(registered, "registeredusersnum").Should().Equal("3");
        // Two accounts online (alice with two resources counts once).
        FieldValues(online, "onlineusersnum").Should().Equal("2");
        registered.Child("x", XData)!.GetAttribute("type").Should().Be("result");
    }

    [Fact]
    public async Task OnlineUsersList_MaxItemsForm_ThenSortedList()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var form = await ExecuteAsync(boss, "get-online-users-list");
        var sessionId = form.GetAttribute("sessionid");
        FieldVars(form).Should().Contain("max_items");
        var all = (await CommandAsync(boss, "get-online-users-list", "complete", sessionId, Submit(("max_items", "none")))).ShouldBeResult()!;
        var sessionId2 = (await ExecuteAsync(boss, "get-online-users-list")).GetAttribute("sessionid");
        var one = (await CommandAsync(boss, "get-online-users-list", "complete", sessionId2, Submit(("max_items", "1")))).ShouldBeResult()!;

        FieldValues(all, "onlineuserjids").Should().Equal("alice@localhost", "boss@localhost");
        FieldValues(one, "onlineuserjids").Should().Equal("alice@localhost");
    }

    [Fact]
    public async Task Announce_ReachesEveryOnlineSessionOfTheHost()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await using var alice2 = await server.LoginAsync("alice", resource: "second");

        var sessionId = (await ExecuteAsync(boss, "announce")).GetAttribute("sessionid");
        var done = (await CommandAsync(boss, "announce", "complete", sessionId, Submit(("subject", "Maintenance"), ("announcement", "Down at 10:00"), ("announcement", "Back at 10:05")))).ShouldBeResult()!;

        done.GetAttribute("status").Should().Be("completed");
        done.ChildText("note", Commands).Should().Be("Sent to 3 sessions");
        foreach (var client in new[] { alice, alice2, boss })
        {
            static bool IsAnnouncement(Element e) => e.Name == "message" && e.GetAttribute("from") == "localhost";

            // The admin's copy may arrive before the command's result, which the iq round trip passes over.
            var message = client.Skipped.FirstOrDefault(IsAnnouncement) ?? await client.WaitForAsync(IsAnnouncement);
            message.GetAttribute("to").Should().Be(client.Jid!.ToString());
            message.ChildText("subject", Ns.Client).Should().Be("Maintenance");
            message.ChildText("body", Ns.Client).Should().Be("Down at 10:00\nBack at 10:05");
        }
    }

    [Fact]
    public async Task EndUserSession_FullJid_ClosesOnlyThatSession()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await using var alice2 = await server.LoginAsync("alice", resource: "second");

        var sessionId = (await ExecuteAsync(boss, "end-user-session")).GetAttribute("sessionid");
        var done = (await CommandAsync(boss, "end-user-session", "complete", sessionId, Submit(("accountjids", alice.Jid!.ToString())))).ShouldBeResult()!;

        done.ChildText("note", Commands).Should().Be("Ended 1 session");
        (await alice.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.PolicyViolation);
        var ping = await alice2.GetAsync("localhost", "<ping xmlns='urn:xmpp:ping'/>");
        ping.ShouldBeResult();
    }

    [Fact]
    public async Task Errors_UnknownNode_BadAction_ForeignSession_MissingForm()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await server.CreateUserAsync("boss2");
        await using var boss2 = await server.LoginAsync("boss2");
        await using var bossElsewhere = await server.LoginAsync("boss", resource: "elsewhere");

        var unknown = await CommandAsync(boss, "no-such-command", "execute", null, null);
        var malformed = await boss.SetAsync("localhost", $"<command xmlns='{Commands}' node='{Admin}#add-user' action='dance'/>");
        var sessionId = (await ExecuteAsync(boss, "add-user")).GetAttribute("sessionid");
        var noPrev = await CommandAsync(boss, "add-user", "prev", sessionId, null);
        var noNext = await CommandAsync(boss, "add-user", "next", sessionId, Submit(("accountjid", "x@localhost")));
        var noForm = await CommandAsync(boss, "add-user", "complete", sessionId, null);
        // boss2 is no admin: the command is refused before the session is looked at.
        var foreign = await CommandAsync(boss2, "add-user", "complete", sessionId, Submit(("accountjid", "x@localhost"), ("password", "pw")));
        var wrongResource = await CommandAsync(bossElsewhere, "add-user", "complete", sessionId, Submit(("accountjid", "x@localhost"), ("password", "pw")));

        unknown.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        malformed.ShouldBeError(StanzaErrorCondition.BadRequest);
        AppCondition(malformed).Should().Be("malformed-action");
        noPrev.ShouldBeError(StanzaErrorCondition.BadRequest);
        AppCondition(noPrev).Should().Be("bad-action");
        noNext.ShouldBeError(StanzaErrorCondition.BadRequest);
        AppCondition(noNext).Should().Be("bad-action");
        noForm.ShouldBeError(StanzaErrorCondition.BadRequest);
        AppCondition(noForm).Should().Be("bad-payload");
        foreign.ShouldBeError(StanzaErrorCondition.Forbidden);
        // XEP-0050 §4.3: a session belongs to the full JID that started it.
        wrongResource.ShouldBeError(StanzaErrorCondition.BadRequest);
        AppCondition(wrongResource).Should().Be("bad-sessionid");
        (await server.Storage.Accounts.ExistsAsync("localhost", "x")).Should().BeFalse();
    }

    [Fact]
    public async Task AdminOfAnotherHost_IsNoAdminHere()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new Server.Hosts.HostOptions();
            o.Hosts["other.test"] = new Server.Hosts.HostOptions { Admins = ["boss@localhost"] };
        });
        await server.CreateUserAsync("boss");
        await using var boss = await server.LoginAsync("boss");

        var here = await CommandAsync(boss, "get-registered-users-num", "execute", null, null);
        var items = (await boss.GetAsync("localhost", $"<query xmlns='http://jabber.org/protocol/disco#items' node='{Commands}'/>")).ShouldBeResult()!;

        here.ShouldBeError(StanzaErrorCondition.Forbidden);
        items.Elements().Should().BeEmpty();
    }

    internal static async Task<Element> ExecuteAsync(RawXmppClient client, string command, string to = "localhost") =>
        (await CommandAsync(client, command, "execute", null, null, to)).ShouldBeResult()!;

    internal static Task<Element> CommandAsync(RawXmppClient client, string command, string action, string? sessionId, string? formXml, string to = "localhost")
    {
        var node = command.Contains(':', StringComparison.Ordinal) ? command : Admin + "#" + command;
        var session = sessionId is null ? string.Empty : $" sessionid='{sessionId}'";
        return client.SetAsync(to, $"<command xmlns='{Commands}' node='{node}' action='{action}'{session}>{formXml}</command>");
    }

    internal static string Submit(params (string Var, string Value)[] fields)
    {
        var x = new Element("x", XData).SetAttribute("type", "submit");
        x.AddChild("field").SetAttribute("var", "FORM_TYPE").SetAttribute("type", "hidden").AddChild("value").AddText(Admin);
        foreach (var group in fields.GroupBy(f => f.Var))
        {
            var field = x.AddChild("field").SetAttribute("var", group.Key);
            foreach (var (_, value) in group)
            {
                field.AddChild("value").AddText(value);
            }
        }

        return x.ToString();
    }

    internal static List<string?> FieldVars(Element command) =>
        command.Child("x", XData)!.Elements().Where(e => e.Name == "field").Select(e => e.GetAttribute("var")).ToList();

    internal static List<string> FieldValues(Element command, string var) =>
        command.Child("x", XData)!.Elements().First(e => e.Name == "field" && e.GetAttribute("var") == var)
            .Elements().Where(e => e.Name == "value").Select(e => e.Text).ToList();

    internal static string? AppCondition(Element reply) =>
        reply.Child("error", reply.Namespace)!.Elements().FirstOrDefault(e => e.Namespace == Commands)?.Name;
}
