using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Integration.Tests.Im;
using Rookery.Modules.Mam;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>
/// Message archives (XEP-0313) with stanza ids (XEP-0359), RSM paging (XEP-0059) and preferences (XEP-0441), over
/// real sockets.
/// </summary>
public sealed class MamTests
{
    private const string Mam = "urn:xmpp:mam:2";
    private const string Sid = "urn:xmpp:sid:0";
    private const string Forward = "urn:xmpp:forward:0";
    private const string Rsm = "http://jabber.org/protocol/rsm";

    [Fact]
    public async Task Message_BetweenLocalUsers_ArchivedForSenderAndRecipientWithStanzaId()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='m1'><body>Hello Bob</body><origin-id xmlns='{Sid}' id='origin-1'/></message>");
        var delivered = await bob.WaitForAsync(Match.Message(body: "Hello Bob"));
        await alice.SyncAsync();

        // XEP-0313 §3.3: the delivered message says where the recipient's archive keeps it.
        var stanzaId = StanzaIds(delivered).Should().ContainSingle().Subject;
        stanzaId.GetAttribute("by").Should().Be(server.Bare("bob"));
        stanzaId.GetAttribute("id").Should().NotBeNullOrEmpty();
        // XEP-0359 §3.2: the sender's origin-id is left as it was.
        delivered.Child("origin-id", Sid)!.GetAttribute("id").Should().Be("origin-1");

        var (bobResults, bobFin) = await QueryAsync(bob, queryId: "q-bob");
        var (aliceResults, aliceFin) = await QueryAsync(alice, queryId: "q-alice");

        var bobResult = bobResults.Should().ContainSingle().Subject;
        bobResult.GetAttribute("to").Should().Be(bob.Jid!.ToString());
        bobResult.GetAttribute("from").Should().Be(server.Bare("bob"));
        var result = bobResult.Child("result", Mam)!;
        result.GetAttribute("queryid").Should().Be("q-bob");
        result.GetAttribute("id").Should().Be(stanzaId.GetAttribute("id"));
        var forwarded = result.Child("forwarded", Forward)!;
        var stamp = DateTimeOffset.Parse(forwarded.Child("delay", Ns.Delay)!.GetAttribute("stamp")!, CultureInfo.InvariantCulture);
        stamp.Should().BeOnOrAfter(before).And.BeOnOrBefore(DateTimeOffset.UtcNow.AddSeconds(1));
        var original = forwarded.Child("message", Ns.Client)!;
        original.GetAttribute("from").Should().Be(alice.Jid!.ToString());
        original.GetAttribute("to").Should().Be(server.Bare("bob"));
        original.ChildText("body", Ns.Client).Should().Be("Hello Bob");
        IsComplete(bobFin).Should().BeTrue();

        var aliceOriginal = Original(aliceResults.Should().ContainSingle().Subject);
        aliceOriginal.GetAttribute("to").Should().Be(server.Bare("bob"));
        aliceOriginal.ChildText("body", Ns.Client).Should().Be("Hello Bob");
        aliceOriginal.Child("origin-id", Sid)!.GetAttribute("id").Should().Be("origin-1");
        // The sender's archive id is not the recipient's, and the sender's copy carries no stanza-id of the recipient.
        Result(aliceResults[0]).GetAttribute("id").Should().NotBe(stanzaId.GetAttribute("id"));
        StanzaIds(aliceOriginal).Should().BeEmpty();
        IsComplete(aliceFin).Should().BeTrue();
    }

    [Fact]
    public async Task Messages_FromManyConcurrentSenders_ShareArchiveCommitsAndAreAllQueryable()
    {
        const int users = 8;
        const int perSender = 15;
        await using var server = await TestServer.StartAsync();
        var clients = new List<RawXmppClient>();
        try
        {
            for (var u = 0; u < users; u++)
            {
                await server.CreateUserAsync($"user{u}");
                clients.Add(await server.LoginAsync($"user{u}"));
            }

            var writer = server.Services.GetRequiredService<MamArchiveWriter>();
            var (commitsBefore, writtenBefore) = (writer.Commits, writer.Written);

            // Every user sends to the next one at the same time: the archiving of all streams runs concurrently.
            var receivers = Enumerable.Range(0, users).Select(u => ReceiveAsync(clients[(u + 1) % users], perSender)).ToList();
            await Task.WhenAll(Enumerable.Range(0, users).Select(async u =>
            {
                for (var i = 0; i < perSender; i++)
                {
                    await clients[u].SendAsync($"<message to='{server.Bare($"user{(u + 1) % users}")}' type='chat' id='m{i}'><body>u{u}-{i}</body></message>");
                }
            }));
            var delivered = await Task.WhenAll(receivers);

            // Each message is archived twice (sender's and recipient's archive), and many share a transaction.
            var written = writer.Written - writtenBefore;
            written.Should().Be(users * perSender * 2);
            (writer.Commits - commitsBefore).Should().BeLessThan(written, "concurrent archive writes share commits");
            for (var u = 0; u < users; u++)
            {
                var owner = server.Bare($"user{u}");
                var archive = (await server.Storage.Archive.QueryAsync(owner, new ArchiveQuery { Max = 100 }))!;
                archive.Count.Should().Be(perSender * 2);
                // Every stanza-id the recipient was given names a stored message.
                var ids = archive.Items.Select(m => m.Id).ToHashSet();
                delivered[(u + users - 1) % users].Select(m => StanzaIds(m).Single().GetAttribute("id")).Should().OnlyContain(id => ids.Contains(id!));
            }

            var (results, fin) = await QueryAsync(clients[0], queryId: "all");
            results.Should().HaveCount(perSender * 2);
            IsComplete(fin).Should().BeTrue();
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<List<Element>> ReceiveAsync(RawXmppClient client, int count)
    {
        var messages = new List<Element>(count);
        while (messages.Count < count)
        {
            messages.Add(await client.WaitForAsync(e => e.Name == "message" && e.ChildText("body", Ns.Client) is not null, TimeSpan.FromSeconds(60)));
        }

        return messages;
    }

    [Fact]
    public async Task Message_WithForgedStanzaIdOfRecipient_ForgeryRemovedOthersKept()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        await alice.SendAsync(
            $"<message to='{server.Bare("bob")}' type='chat'><body>trust me</body>" +
            $"<stanza-id xmlns='{Sid}' by='{server.Bare("bob")}' id='forged'/>" +
            $"<stanza-id xmlns='{Sid}' by='room@muc.example.org' id='from-a-room'/></message>");
        var delivered = await bob.WaitForAsync(Match.Message(body: "trust me"));

        var ids = StanzaIds(delivered);
        ids.Should().HaveCount(2);
        var own = ids.Should().ContainSingle(e => e.GetAttribute("by") == server.Bare("bob")).Subject;
        own.GetAttribute("id").Should().NotBe("forged");
        ids.Should().ContainSingle(e => e.GetAttribute("by") == "room@muc.example.org").Which.GetAttribute("id").Should().Be("from-a-room");
        var (results, _) = await QueryAsync(bob);
        Result(results.Should().ContainSingle().Subject).GetAttribute("id").Should().Be(own.GetAttribute("id"));
        // The archived copy holds no forged id either.
        StanzaIds(Original(results[0])).Should().ContainSingle().Which.GetAttribute("by").Should().Be("room@muc.example.org");
    }

    [Fact]
    public async Task Message_NotArchivable_NeitherArchivedNorStamped()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var to = server.Bare("bob");

        // A chat state without body, a no-store hint, a headline: none is archived (XEP-0313 §5.1.1, XEP-0334).
        await alice.SendAsync($"<message to='{to}' type='chat' id='n1'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
        await alice.SendAsync($"<message to='{to}' type='chat' id='n2'><body>off the record</body><no-store xmlns='urn:xmpp:hints'/></message>");
        await alice.SendAsync($"<message to='{to}' type='headline' id='n3'><body>news</body></message>");
        // The store hint takes in a message without body.
        await alice.SendAsync($"<message to='{to}' type='chat' id='s1'><receipt xmlns='urn:example:x'/><store xmlns='urn:xmpp:hints'/></message>");
        await alice.SendAsync($"<message to='{to}' type='chat' id='y1'><body>kept</body></message>");
        var received = new List<Element>();
        for (var i = 0; i < 5; i++)
        {
            received.Add(await bob.WaitForAsync(Match.AnyMessage));
        }

        await alice.SyncAsync();

        received.Select(m => m.GetAttribute("id")).Should().Equal("n1", "n2", "n3", "s1", "y1");
        received.Where(m => StanzaIds(m).Count > 0).Select(m => m.GetAttribute("id")).Should().Equal("s1", "y1");
        var (bobResults, _) = await QueryAsync(bob);
        var (aliceResults, _) = await QueryAsync(alice);
        bobResults.Select(r => Original(r).GetAttribute("id")).Should().Equal("s1", "y1");
        aliceResults.Select(r => Original(r).GetAttribute("id")).Should().Equal("s1", "y1");
    }

    [Fact]
    public async Task Query_WithFilter_OnlyMessagesWithThatContact()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");

        // One at a time, so that the archive order is known.
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>to bob 1</body></message>");
        await alice.SendAsync($"<message to='{server.Bare("carol")}' type='chat'><body>to carol</body></message>");
        await carol.WaitForAsync(Match.Message(body: "to carol"));
        await bob.SendAsync($"<message to='{alice.Jid}' type='chat'><body>from bob</body></message>");
        await alice.WaitForAsync(Match.Message(body: "from bob"));
        await alice.SendAsync($"<message to='{server.Bare("bob")}/test' type='chat'><body>to bob 2</body></message>");
        await bob.WaitForAsync(Match.Message(body: "to bob 2"));
        await alice.SyncAsync();

        var (withBob, finBob) = await QueryAsync(alice, Form(("with", server.Bare("bob"))));
        var (withCarol, _) = await QueryAsync(alice, Form(("with", server.Bare("carol"))));
        var (withBobResource, _) = await QueryAsync(alice, Form(("with", server.Bare("bob") + "/test")));
        var (all, _) = await QueryAsync(alice);

        Bodies(withBob).Should().Equal("to bob 1", "from bob", "to bob 2");
        Count(finBob).Should().Be(3);
        Bodies(withCarol).Should().Equal("to carol");
        // A full JID matches that resource only (XEP-0313 §4.1.1): bob's messages came from bob@.../test, and one went to it.
        Bodies(withBobResource).Should().Equal("from bob", "to bob 2");
        Bodies(all).Should().Equal("to bob 1", "to carol", "from bob", "to bob 2");
    }

    [Fact]
    public async Task Query_PagingWithMaxAndAfter_EveryMessageOnceUntilComplete()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        for (var i = 1; i <= 7; i++)
        {
            await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>m{i}</body></message>");
        }

        await bob.WaitForAsync(Match.Message(body: "m7"));

        var pages = new List<(List<Element> Results, Element Fin)>();
        string? after = null;
        while (pages.Count < 10)
        {
            var afterXml = after is null ? string.Empty : $"<after>{after}</after>";
            var page = await QueryAsync(bob, $"<set xmlns='{Rsm}'><max>3</max>{afterXml}</set>");
            pages.Add(page);
            if (IsComplete(page.Fin))
            {
                break;
            }

            after = RsmSet(page.Fin).ChildText("last", Rsm);
        }

        // Three pages: 3 + 3 + 1, only the last one complete.
        pages.Select(p => p.Results.Count).Should().Equal(3, 3, 1);
        pages.Select(p => IsComplete(p.Fin)).Should().Equal(false, false, true);
        pages.SelectMany(p => Bodies(p.Results)).Should().Equal("m1", "m2", "m3", "m4", "m5", "m6", "m7");
        foreach (var (results, fin) in pages)
        {
            var set = RsmSet(fin);
            set.ChildText("first", Rsm).Should().Be(Result(results[0]).GetAttribute("id"));
            set.ChildText("last", Rsm).Should().Be(Result(results[^1]).GetAttribute("id"));
            Count(fin).Should().Be(7);
        }

        pages.Select(p => RsmSet(p.Fin).Child("first", Rsm)!.GetAttribute("index")).Should().Equal("0", "3", "6");
    }

    [Fact]
    public async Task Query_EmptyBefore_LastPageThenOlderPages()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        for (var i = 1; i <= 5; i++)
        {
            await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>m{i}</body></message>");
        }

        await alice.SyncAsync();

        var last = await QueryAsync(alice, $"<set xmlns='{Rsm}'><max>2</max><before/></set>");
        var first = RsmSet(last.Fin).ChildText("first", Rsm);
        var older = await QueryAsync(alice, $"<set xmlns='{Rsm}'><max>2</max><before>{first}</before></set>");
        var oldest = await QueryAsync(alice, $"<set xmlns='{Rsm}'><max>2</max><before>{RsmSet(older.Fin).ChildText("first", Rsm)}</before></set>");

        // XEP-0313 §4.3.3: the newest messages, still in chronological order within the page.
        Bodies(last.Results).Should().Equal("m4", "m5");
        IsComplete(last.Fin).Should().BeFalse();
        Bodies(older.Results).Should().Equal("m2", "m3");
        Bodies(oldest.Results).Should().Equal("m1");
        IsComplete(oldest.Fin).Should().BeTrue();
    }

    [Fact]
    public async Task Query_StartAndEnd_OnlyMessagesStampedInBetweenInclusive()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var owner = server.Bare("alice");
        var january = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var february = new DateTimeOffset(2025, 2, 1, 12, 0, 0, TimeSpan.Zero);
        var march = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        foreach (var (id, stamp) in new[] { ("0001", january), ("0002", february), ("0003", march) })
        {
            await server.Storage.Archive.AppendAsync(owner, new ArchivedMessage(
                id, "bob@localhost", null, stamp, ArchiveDirection.Incoming, $"<message from='bob@localhost/r' to='{owner}' type='chat'><body>{id}</body></message>"));
        }

        var (middle, middleFin) = await QueryAsync(alice, Form(("start", "2025-01-15T00:00:00Z"), ("end", "2025-02-15T00:00:00Z")));
        var (fromFebruary, _) = await QueryAsync(alice, Form(("start", "2025-02-01T12:00:00Z")));
        var (untilFebruary, _) = await QueryAsync(alice, Form(("end", "2025-02-01T13:00:00+01:00")));
        var bad = await alice.SetAsync(null, $"<query xmlns='{Mam}'>{Form(("start", "last tuesday"))}</query>");

        Bodies(middle).Should().Equal("0002");
        Count(middleFin).Should().Be(1);
        var delay = Result(middle[0]).Child("forwarded", Forward)!.Child("delay", Ns.Delay)!;
        delay.GetAttribute("stamp").Should().Be("2025-02-01T12:00:00.000Z");
        Bodies(fromFebruary).Should().Equal("0002", "0003");
        // 13:00+01:00 is exactly February's stamp: 'end' is inclusive.
        Bodies(untilFebruary).Should().Equal("0001", "0002");
        bad.ShouldBeError(StanzaErrorCondition.BadRequest);
    }

    [Fact]
    public async Task Prefs_DefaultNever_StopsArchivingForThatUserOnly()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        var initial = (await bob.GetAsync(null, $"<prefs xmlns='{Mam}'/>")).ShouldBeResult()!;
        var set = (await bob.SetAsync(null, $"<prefs xmlns='{Mam}' default='never'><always/><never/></prefs>")).ShouldBeResult()!;
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>not kept by bob</body></message>");
        var delivered = await bob.WaitForAsync(Match.Message(body: "not kept by bob"));
        await alice.SyncAsync();

        initial.ToString().Should().Be($"<prefs xmlns='{Mam}' default='always'><always/><never/></prefs>");
        set.GetAttribute("default").Should().Be("never");
        StanzaIds(delivered).Should().BeEmpty("an unarchived message has no archive id");
        (await QueryAsync(bob)).Results.Should().BeEmpty();
        // The sender's archive follows the sender's preferences.
        Bodies((await QueryAsync(alice)).Results).Should().Equal("not kept by bob");
    }

    [Fact]
    public async Task Prefs_NeverListAndRosterDefault_DecidePerContact()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await server.CreateUserAsync("dave");
        await server.SeedRosterItemAsync("bob", "carol", Subscription.Both);
        await server.SeedRosterItemAsync("bob", "alice", Subscription.Both);
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        await using var dave = await server.LoginAsync("dave");

        var applied = (await bob.SetAsync(null,
            $"<prefs xmlns='{Mam}' default='roster'><always><jid>{server.Bare("alice")}</jid></always><never><jid>{server.Bare("alice")}</jid></never></prefs>")).ShouldBeResult()!;
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>from alice</body></message>");
        await carol.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>from carol</body></message>");
        await dave.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>from dave</body></message>");
        await bob.ExpectAllAsync(Match.Message(body: "from alice"), Match.Message(body: "from carol"), Match.Message(body: "from dave"));

        // A JID in both lists ends up in never (the applied preferences are the answer, XEP-0441 §2.1).
        applied.ToString().Should().Be($"<prefs xmlns='{Mam}' default='roster'><always/><never><jid>{server.Bare("alice")}</jid></never></prefs>");
        // Alice is never archived although in the roster; Carol is in the roster; Dave is not.
        Bodies((await QueryAsync(bob)).Results).Should().Equal("from carol");
    }

    [Fact]
    public async Task Query_AnotherUsersArchive_ForbiddenAndOwnArchiveHoldsOnlyOwnMessages()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        await alice.SendAsync($"<message to='{server.Bare("carol")}' type='chat'><body>secret</body></message>");
        await carol.WaitForAsync(Match.Message(body: "secret"));

        var query = await bob.SetAsync(server.Bare("alice"), $"<query xmlns='{Mam}'/>");
        var prefs = await bob.GetAsync(server.Bare("alice"), $"<prefs xmlns='{Mam}'/>");
        var (own, ownFin) = await QueryAsync(bob);
        var (aliceOwn, _) = await QueryAsync(alice);

        query.ShouldBeError(StanzaErrorCondition.Forbidden);
        prefs.ShouldBeError(StanzaErrorCondition.Forbidden);
        own.Should().BeEmpty();
        Count(ownFin).Should().Be(0);
        IsComplete(ownFin).Should().BeTrue();
        // The control: the owner does see it.
        Bodies(aliceOwn).Should().Equal("secret");
    }

    [Fact]
    public async Task Message_ToOfflineUser_ArchivedAndDeliveredLaterWithTheSameStanzaId()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>while you were out</body></message>");
        await alice.SyncAsync();

        await using var bob = await server.LoginAsync("bob");
        var offline = await bob.WaitForAsync(Match.Message(body: "while you were out"));
        var (results, fin) = await QueryAsync(bob);

        offline.Child("delay", Ns.Delay).Should().NotBeNull("it came from offline storage");
        var stanzaId = StanzaIds(offline).Should().ContainSingle().Subject;
        stanzaId.GetAttribute("by").Should().Be(server.Bare("bob"));
        var result = results.Should().ContainSingle().Subject;
        Result(result).GetAttribute("id").Should().Be(stanzaId.GetAttribute("id"));
        Original(result).ChildText("body", Ns.Client).Should().Be("while you were out");
        IsComplete(fin).Should().BeTrue();
    }

    [Fact]
    public async Task Message_ToAccountThatDoesNotExist_BouncedAndNotArchived()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SendAsync($"<message to='{server.Bare("nobody")}' type='chat' id='x1'><body>hello?</body></message>");
        var bounce = await alice.WaitForAsync(Match.Error("message", "x1"));

        Match.Condition(bounce).Should().Be("service-unavailable");
        (await server.Storage.Archive.QueryAsync(server.Bare("nobody"), new ArchiveQuery()))!.Count.Should().Be(0);
    }

    [Fact]
    public async Task Query_UnknownAfterOrBeforeId_ItemNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>one</body></message>");
        await alice.SyncAsync();

        var after = await alice.SetAsync(null, $"<query xmlns='{Mam}'><set xmlns='{Rsm}'><after>no-such-id</after></set></query>");
        var before = await alice.SetAsync(null, $"<query xmlns='{Mam}'><set xmlns='{Rsm}'><before>no-such-id</before></set></query>");
        var afterId = await alice.SetAsync(null, $"<query xmlns='{Mam}'>{Form(("after-id", "no-such-id"))}</query>");
        var unknownField = await alice.SetAsync(null, $"<query xmlns='{Mam}'>{Form(("free-text", "x"))}</query>");
        var (control, _) = await QueryAsync(alice);

        after.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        before.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        afterId.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        // §4.1.5: a field the server does not know.
        unknownField.ShouldBeError(StanzaErrorCondition.FeatureNotImplemented);
        control.Should().ContainSingle();
    }

    [Fact]
    public async Task Query_MaxAboveServerLimit_PageCutToTheLimit()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.Mam, "MaxPageSize", 2));
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        for (var i = 1; i <= 3; i++)
        {
            await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>m{i}</body></message>");
        }

        await alice.SyncAsync();

        var (results, fin) = await QueryAsync(alice, $"<set xmlns='{Rsm}'><max>100</max></set>");

        Bodies(results).Should().Equal("m1", "m2");
        IsComplete(fin).Should().BeFalse();
        Count(fin).Should().Be(3);
    }

    [Fact]
    public async Task Get_Query_FormWithEveryField_AndMetadataOfTheArchive()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");

        var emptyMetadata = (await alice.GetAsync(null, $"<metadata xmlns='{Mam}'/>")).ShouldBeResult()!;
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>one</body></message>");
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>two</body></message>");
        await alice.SyncAsync();
        var form = (await alice.GetAsync(null, $"<query xmlns='{Mam}'/>")).ShouldBeResult()!;
        var metadata = (await alice.GetAsync(null, $"<metadata xmlns='{Mam}'/>")).ShouldBeResult()!;
        var (results, _) = await QueryAsync(alice);

        var x = form.Child("x", "jabber:x:data")!;
        x.GetAttribute("type").Should().Be("form");
        x.Elements().Select(f => f.GetAttribute("var")).Should().Equal("FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids");
        emptyMetadata.Elements().Should().BeEmpty();
        metadata.Child("start", Mam)!.GetAttribute("id").Should().Be(Result(results[0]).GetAttribute("id"));
        metadata.Child("end", Mam)!.GetAttribute("id").Should().Be(Result(results[1]).GetAttribute("id"));
    }

    /// <summary>Runs a query and returns the result messages that arrived before the iq result, and its fin.</summary>
    private static async Task<(List<Element> Results, Element Fin)> QueryAsync(RawXmppClient client, string inner = "", string? queryId = null)
    {
        queryId ??= "q-" + Guid.NewGuid().ToString("N");
        var id = "mam-" + Guid.NewGuid().ToString("N");
        await client.SendAsync($"<iq type='set' id='{id}'><query xmlns='{Mam}' queryid='{queryId}'>{inner}</query></iq>");
        var results = new List<Element>();
        while (true)
        {
            var e = await client.WaitForAsync(e =>
                (e.Name == "message" && e.Child("result", Mam)?.GetAttribute("queryid") == queryId) || Match.IqReply(id)(e));
            if (e.Name == "message")
            {
                results.Add(e);
                continue;
            }

            var fin = e.ShouldBeResult()!;
            fin.Name.Should().Be("fin");
            fin.Namespace.Should().Be(Mam);
            return (results, fin);
        }
    }

    private static string Form(params (string Var, string Value)[] fields) =>
        $"<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>{Mam}</value></field>" +
        string.Concat(fields.Select(f => $"<field var='{f.Var}'><value>{f.Value}</value></field>")) + "</x>";

    private static Element Result(Element message) => message.Child("result", Mam)!;

    private static Element Original(Element message) => Result(message).Child("forwarded", Forward)!.Child("message", Ns.Client)!;

    private static List<string> Bodies(IEnumerable<Element> results) => results.Select(r => Original(r).ChildText("body", Ns.Client)!).ToList();

    private static List<Element> StanzaIds(Element message) => message.Elements().Where(e => e.Name == "stanza-id" && e.Namespace == Sid).ToList();

    private static Element RsmSet(Element fin) => fin.Child("set", Rsm)!;

    private static bool IsComplete(Element fin) => fin.GetAttribute("complete") == "true";

    private static int Count(Element fin) => int.Parse(RsmSet(fin).ChildText("count", Rsm)!, CultureInfo.InvariantCulture);
}
