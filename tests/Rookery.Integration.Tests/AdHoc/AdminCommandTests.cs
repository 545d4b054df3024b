using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;
using static Rookery.Integration.Tests.AdHoc.AdHocCommandTests;

namespace Rookery.Integration.Tests.AdHoc;

/// <summary>
/// The service administration commands (XEP-0133) added for the black-box suites, over real sockets: the commands at the
/// admin's own bare JID, disabling and re-enabling accounts, the user lists and counts, a user's roster and statistics,
/// and the refusals (error notes, feature-not-implemented for what Rookery cannot do).
/// </summary>
public sealed class AdminCommandTests
{
    private const string Commands = "http://jabber.org/protocol/commands";
    private const string Admin = "http://jabber.org/protocol/admin";
    private const string XData = "jabber:x:data";
    private const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";

    [Fact]
    public async Task OwnBareJid_AdminDiscoversAndRunsCommandsThere_OthersGetNothing()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        var list = $"<query xmlns='http://jabber.org/protocol/disco#items' node='{Commands}'/>";

        var items = (await boss.GetAsync("boss@localhost", list)).ShouldBeResult()!;
        var info = (await boss.GetAsync("boss@localhost", $"<query xmlns='http://jabber.org/protocol/disco#info' node='{Admin}#disable-user'/>")).ShouldBeResult()!;
        var count = await ExecuteAsync(boss, "get-registered-users-num", to: "boss@localhost");
        var aliceItems = (await alice.GetAsync("alice@localhost", list)).ShouldBeResult()!;
        var aliceRuns = await CommandAsync(alice, "get-registered-users-num", "execute", null, null, to: "alice@localhost");
        var atSomeoneElse = await CommandAsync(boss, "get-registered-users-num", "execute", null, null, to: "alice@localhost");
        var itemsOfSomeoneElse = (await boss.GetAsync("alice@localhost", list)).ShouldBeResult()!;

        items.Elements().Should().Contain(i => i.GetAttribute("node") == Admin + "#disable-user" && i.GetAttribute("name") == "Disable a User");
        items.Elements().Should().OnlyContain(i => i.GetAttribute("jid") == "boss@localhost", "the commands run where they were found");
        info.Child("identity", info.Namespace)!.GetAttribute("type").Should().Be("command-node");
        info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).Should().BeEquivalentTo(Commands, XData);
        count.GetAttribute("status").Should().Be("completed");
        FieldValues(count, "registeredusersnum").Should().Equal("2");
        aliceItems.Elements().Should().BeEmpty();
        aliceRuns.ShouldBeError(StanzaErrorCondition.Forbidden);
        atSomeoneElse.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        itemsOfSomeoneElse.Elements().Should().BeEmpty();
    }

    [Fact]
    public async Task DisableUser_EndsSessions_RefusesLogin_KeepsRoster_ReenableRestoresLogin()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await server.CreateUserAsync("carol");
        await server.Storage.Rosters.SetItemAsync("carol@localhost", new RosterItem("dave@example.net", "Dave", Subscription.Both, false, ["Friends"]));
        await using var laptop = await server.LoginAsync("carol", resource: "laptop");
        await using var phone = await server.LoginAsync("carol", resource: "phone");

        var disabled = await CompleteAsync(boss, "disable-user", ("accountjids", "carol@localhost"));

        disabled.GetAttribute("status").Should().Be("completed");
        disabled.ChildText("note", Commands).Should().Be("Disabled carol@localhost");
        (await laptop.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.PolicyViolation);
        (await phone.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.PolicyViolation);
        await using (var scram = await server.ConnectAsync())
        {
            await scram.OpenStreamAsync();
            await scram.StartTlsAsync();
            var failure = await Assert.ThrowsAsync<AuthenticationFailedException>(() => scram.AuthenticateScramAsync("carol", "secret"));
            failure.Answer.Child("account-disabled", Sasl).Should().NotBeNull("RFC 6120 §6.5.1");
        }

        await using (var plain = await server.ConnectAsync())
        {
            await plain.OpenStreamAsync();
            await plain.StartTlsAsync();
            var failure = await Assert.ThrowsAsync<AuthenticationFailedException>(() => plain.AuthenticatePlainAsync("carol", "secret"));
            failure.Answer.Child("account-disabled", Sasl).Should().NotBeNull();
        }

        await using (var wrongPassword = await server.ConnectAsync())
        {
            await wrongPassword.OpenStreamAsync();
            await wrongPassword.StartTlsAsync();
            var failure = await Assert.ThrowsAsync<AuthenticationFailedException>(() => wrongPassword.AuthenticatePlainAsync("carol", "guess"));
            failure.Answer.Child("not-authorized", Sasl).Should().NotBeNull("only the password's owner learns the account is disabled");
        }

        FieldValues(await ExecuteAsync(boss, "get-disabled-users-num"), "disabledusersnum").Should().Equal("1");
        FieldValues(await CompleteAsync(boss, "get-disabled-users-list", ("max_items", "none")), "disableduserjids").Should().Equal("carol@localhost");
        FieldValues(await ExecuteAsync(boss, "get-registered-users-num"), "registeredusersnum").Should().Equal("3");
        var roster = await CompleteAsync(boss, "get-user-roster", ("accountjids", "carol@localhost"));
        var item = roster.Child("x", XData)!.Child("query", "jabber:iq:roster")!.Child("item", "jabber:iq:roster")!;
        item.GetAttribute("jid").Should().Be("dave@example.net");
        item.GetAttribute("name").Should().Be("Dave");

        var reenabled = await CompleteAsync(boss, "reenable-user", ("accountjids", "carol@localhost/any"));

        reenabled.ChildText("note", Commands).Should().Be("Re-enabled carol@localhost");
        await using var back = await server.LoginAsync("carol", resource: "laptop");
        back.Jid!.Local.Should().Be("carol");
        FieldValues(await ExecuteAsync(boss, "get-disabled-users-num"), "disabledusersnum").Should().Equal("0");
    }

    [Fact]
    public async Task DisableAndReenable_UnknownRemoteOrMalformedAccount_ErrorNote_NothingChanges()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var unknown = await CompleteAsync(boss, "reenable-user", ("accountjids", "ghost@localhost"));
        var remote = await CompleteAsync(boss, "disable-user", ("accountjids", "alice@elsewhere.example"));
        var malformed = await CompleteAsync(boss, "disable-user", ("accountjids", "a@b@c"));
        var partly = await CompleteAsync(boss, "disable-user", ("accountjids", "ghost@localhost"), ("accountjids", "alice@localhost"));

        foreach (var refused in new[] { unknown, remote, malformed })
        {
            refused.GetAttribute("status").Should().Be("completed");
            refused.Elements().Where(e => e.Name == "note").Select(n => n.GetAttribute("type")).Should().Equal("error");
        }

        unknown.ChildText("note", Commands).Should().Be("No such account: ghost@localhost");
        partly.Elements().Where(e => e.Name == "note").Select(n => (n.GetAttribute("type"), n.Text))
            .Should().Equal(("info", "Disabled alice@localhost"), ("error", "No such account: ghost@localhost"));
        (await server.Storage.Accounts.ListDisabledAsync("localhost")).Should().Equal("alice");
        (await server.Storage.Accounts.ListDisabledAsync("elsewhere.example")).Should().BeEmpty();
    }

    [Fact]
    public async Task UserLists_Registered_Active_Idle_AndTheirCounts()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await server.CreateUserAsync("dave");
        await server.CreateUserAsync("erin");
        await server.CreateUserAsync("offline");
        await using var dave = await server.LoginAsync("dave", sendPresence: false);
        await using var erin = await server.LoginAsync("erin");
        await erin.SendAsync("<presence><show>away</show></presence>");
        await erin.WaitForAsync(e => e.Name == "presence" && e.ChildText("show", Ns.Client) == "away");

        var registered = await CompleteAsync(boss, "get-registered-users-list", ("max_items", "none"));
        var firstTwo = await CompleteAsync(boss, "get-registered-users-list", ("max_items", "2"));
        var active = await CompleteAsync(boss, "get-active-users", ("max_items", "none"));
        var idle = await CompleteAsync(boss, "get-idle-users", ("max_items", "none"));
        var badLimit = await CompleteAsync(boss, "get-idle-users", ("max_items", "-3"));

        FieldValues(registered, "registereduserjids").Should().Equal("alice@localhost", "boss@localhost", "dave@localhost", "erin@localhost", "offline@localhost");
        FieldValues(firstTwo, "registereduserjids").Should().Equal("alice@localhost", "boss@localhost");
        // Active: an available resource not marked away/xa. Idle: online otherwise (no presence yet, or away).
        FieldValues(active, "activeuserjids").Should().Equal("alice@localhost", "boss@localhost");
        FieldValues(idle, "idleuserjids").Should().Equal("dave@localhost", "erin@localhost");
        FieldValues(await ExecuteAsync(boss, "get-active-users-num"), "activeusersnum").Should().Equal("2");
        FieldValues(await ExecuteAsync(boss, "get-idle-users-num"), "idleusersnum").Should().Equal("2");
        FieldValues(await ExecuteAsync(boss, "get-online-users-num"), "onlineusersnum").Should().Equal("4");
        badLimit.Child("note", Commands)!.GetAttribute("type").Should().Be("error");
    }

    [Fact]
    public async Task UserStats_RosterSizeAndOnlineResources_GetUserRoster_OneAccountAtATime()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        await server.Storage.Rosters.SetItemAsync("alice@localhost", new RosterItem("x@example.net", null, Subscription.None, true, []));
        await server.Storage.Rosters.SetItemAsync("alice@localhost", new RosterItem("y@example.net", null, Subscription.To, false, []));

        var form = await ExecuteAsync(boss, "user-stats");
        var stats = await CompleteAsync(boss, "user-stats", ("accountjid", "alice@localhost"));
        var ghost = await CompleteAsync(boss, "user-stats", ("accountjid", "ghost@localhost"));
        var two = await CompleteAsync(boss, "get-user-roster", ("accountjids", "alice@localhost"), ("accountjids", "boss@localhost"));
        var roster = await CompleteAsync(boss, "get-user-roster", ("accountjids", "alice@localhost"));

        FieldVars(form).Should().Equal("FORM_TYPE", "accountjid");
        FieldValues(stats, "rostersize").Should().Equal("2");
        FieldValues(stats, "onlineresources").Should().Equal("phone", "test");
        ghost.Child("note", Commands)!.GetAttribute("type").Should().Be("error");
        two.Child("note", Commands)!.GetAttribute("type").Should().Be("error");
        FieldValues(roster, "accountjids").Should().Equal("alice@localhost");
        var items = roster.Child("x", XData)!.Child("query", "jabber:iq:roster")!.Elements().ToList();
        items.Select(i => (i.GetAttribute("jid"), i.GetAttribute("subscription"), i.GetAttribute("ask")))
            .Should().Equal(("x@example.net", "none", "subscribe"), ("y@example.net", "to", null));
    }

    [Fact]
    public async Task DeleteUser_FullJid_DeletesTheAccount_UnconfirmedSecondStage_ErrorNote()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        await server.CreateUserAsync("dave");

        var done = await CompleteAsync(boss, "delete-user", ("accountjids", "dave@localhost/resource"));
        var sessionId = (await ExecuteAsync(boss, "delete-user")).GetAttribute("sessionid");
        (await CommandAsync(boss, "delete-user", "next", sessionId, Submit(("accountjids", "alice@localhost")))).ShouldBeResult();
        var unconfirmed = (await CommandAsync(boss, "delete-user", "complete", sessionId, Submit(("confirm", "0")))).ShouldBeResult()!;

        done.ChildText("note", Commands).Should().Be("Deleted dave@localhost");
        (await server.Storage.Accounts.ExistsAsync("localhost", "dave")).Should().BeFalse();
        unconfirmed.GetAttribute("status").Should().Be("completed");
        unconfirmed.Child("note", Commands)!.GetAttribute("type").Should().Be("error");
        (await server.Storage.Accounts.ExistsAsync("localhost", "alice")).Should().BeTrue();
    }

    [Fact]
    public async Task GetUserPassword_FeatureNotImplemented_NotListed()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        var reply = await CommandAsync(boss, "get-user-password", "execute", null, null);
        var items = (await boss.GetAsync("localhost", $"<query xmlns='http://jabber.org/protocol/disco#items' node='{Commands}'/>")).ShouldBeResult()!;

        reply.ShouldBeError(StanzaErrorCondition.FeatureNotImplemented);
        items.Elements().Should().NotContain(i => i.GetAttribute("node") == Admin + "#get-user-password");
    }

    [Fact]
    public async Task NewCommands_NonAdmin_Forbidden()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;

        foreach (var command in new[] { "disable-user", "reenable-user", "get-user-roster", "user-stats", "get-registered-users-list", "get-disabled-users-num", "get-active-users", "get-idle-users-num", "set-motd", "edit-motd", "delete-motd" })
        {
            (await CommandAsync(alice, command, "execute", null, null)).ShouldBeError(StanzaErrorCondition.Forbidden);
        }

        (await server.Storage.Accounts.ListDisabledAsync("localhost")).Should().BeEmpty();
    }

    [Fact]
    public async Task Motd_SetGreetsLaterLogins_EditPrefillsAndReplaces_DeleteStopsIt()
    {
        var (server, boss, alice) = await StartWithUsersAsync();
        await using var _ = server;
        await using var __ = boss;
        await using var ___ = alice;
        static bool IsMotd(Element e) => e.Name == "message" && e.GetAttribute("from") == "localhost";
        async Task<Element> GreetingAsync(RawXmppClient client) => client.Skipped.FirstOrDefault(IsMotd) ?? await client.WaitForAsync(IsMotd);

        var empty = await CompleteAsync(boss, "set-motd", ("motd", " "));
        var set = await CompleteAsync(boss, "set-motd", ("motd", "Line 1"), ("motd", "Line 2"));
        await using var first = await server.LoginAsync("alice", resource: "first");
        var greeting = await GreetingAsync(first);

        empty.Child("note", Commands)!.GetAttribute("type").Should().Be("error");
        set.GetAttribute("status").Should().Be("completed");
        greeting.GetAttribute("to").Should().Be("alice@localhost/first");
        greeting.ChildText("body", Ns.Client).Should().Be("Line 1\nLine 2");
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(300), IsMotd);

        var editForm = await ExecuteAsync(boss, "edit-motd");
        FieldValues(editForm, "motd").Should().Equal("Line 1", "Line 2");
        (await CommandAsync(boss, "edit-motd", "complete", editForm.GetAttribute("sessionid"), Submit(("motd", "Changed")))).ShouldBeResult();
        await using var second = await server.LoginAsync("alice", resource: "second");
        (await GreetingAsync(second)).ChildText("body", Ns.Client).Should().Be("Changed");

        var deleted = await ExecuteAsync(boss, "delete-motd");
        deleted.GetAttribute("status").Should().Be("completed");
        FieldValues(await ExecuteAsync(boss, "edit-motd"), "motd").Should().BeEmpty();
        await using var third = await server.LoginAsync("alice", resource: "third");
        third.Skipped.Where(IsMotd).Should().BeEmpty();
        await third.ExpectNothingAsync(TimeSpan.FromMilliseconds(500), IsMotd);
    }

    /// <summary>Runs a command at the host: execute, then complete with the fields.</summary>
    private static async Task<Element> CompleteAsync(RawXmppClient client, string command, params (string Var, string Value)[] fields)
    {
        var sessionId = (await ExecuteAsync(client, command)).GetAttribute("sessionid");
        return (await CommandAsync(client, command, "complete", sessionId, Submit(fields))).ShouldBeResult()!;
    }
}
