using Rookery.Protocol.Errors;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>Private XML storage (XEP-0049), over real sockets.</summary>
public sealed class PrivateStorageTests
{
    private const string Bookmarks =
        "<storage xmlns='storage:bookmarks'><conference jid='room@conference.example.org' name='Room' autojoin='true'>" +
        "<nick>alice</nick></conference></storage>";

    [Fact]
    public async Task Private_SetThenGet_StoredElement()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        (await alice.SetAsync(null, $"<query xmlns='jabber:iq:private'>{Bookmarks}</query>")).ShouldBeResult().Should().BeNull();
        var query = (await alice.GetAsync(null, "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>")).ShouldBeResult()!;

        query.Name.Should().Be("query");
        query.Namespace.Should().Be("jabber:iq:private");
        query.Elements().Should().ContainSingle().Which.ToString().Should().Be(Bookmarks);
    }

    [Fact]
    public async Task Private_NothingStored_RequestedElementComesBackEmpty()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(null, "<query xmlns='jabber:iq:private'><prefs xmlns='exodus:prefs'/></query>")).ShouldBeResult()!;

        query.Elements().Should().ContainSingle().Which.ToString().Should().Be("<prefs xmlns='exodus:prefs'/>");
    }

    [Fact]
    public async Task Private_TwoUsersSameKey_EachSeesOnlyTheirOwn()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        const string get = "<query xmlns='jabber:iq:private'><prefs xmlns='test:prefs'/></query>";

        await alice.SetAsync(null, "<query xmlns='jabber:iq:private'><prefs xmlns='test:prefs'><colour>red</colour></prefs></query>");
        await bob.SetAsync(null, "<query xmlns='jabber:iq:private'><prefs xmlns='test:prefs'><colour>blue</colour></prefs></query>");
        var aliceSees = (await alice.GetAsync(null, get)).ShouldBeResult()!;
        var bobSees = (await bob.GetAsync(null, get)).ShouldBeResult()!;

        aliceSees.FirstElement()!.ChildText("colour", "test:prefs").Should().Be("red");
        bobSees.FirstElement()!.ChildText("colour", "test:prefs").Should().Be("blue");
    }

    [Fact]
    public async Task Private_AnotherUsersJid_ForbiddenForGetAndSet()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("mallory");
        await using var alice = await server.LoginAsync("alice");
        await using var mallory = await server.LoginAsync("mallory");
        await alice.SetAsync(null, $"<query xmlns='jabber:iq:private'>{Bookmarks}</query>");

        var get = await mallory.GetAsync(server.Bare("alice"), "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>");
        var set = await mallory.SetAsync(server.Bare("alice"), "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>");

        get.ShouldBeError(StanzaErrorCondition.Forbidden);
        get.ToString().Should().NotContain("room@conference");
        set.ShouldBeError(StanzaErrorCondition.Forbidden);
        var kept = (await alice.GetAsync(null, "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>")).ShouldBeResult()!;
        kept.FirstElement()!.ToString().Should().Be(Bookmarks);
    }

    [Fact]
    public async Task Private_SameNamespaceDifferentNames_AreSeparateAndEmptySetClears()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SetAsync(null, "<query xmlns='jabber:iq:private'><a xmlns='test:ns'>1</a></query>");
        await alice.SetAsync(null, "<query xmlns='jabber:iq:private'><b xmlns='test:ns'>2</b></query>");
        (await alice.SetAsync(null, "<query xmlns='jabber:iq:private'><a xmlns='test:ns'/></query>")).ShouldBeResult();
        var a = (await alice.GetAsync(null, "<query xmlns='jabber:iq:private'><a xmlns='test:ns'/></query>")).ShouldBeResult()!;
        var b = (await alice.GetAsync(null, "<query xmlns='jabber:iq:private'><b xmlns='test:ns'/></query>")).ShouldBeResult()!;

        a.FirstElement()!.ToString().Should().Be("<a xmlns='test:ns'/>");
        b.FirstElement()!.ToString().Should().Be("<b xmlns='test:ns'>2</b>");
    }

    [Theory]
    [InlineData("<x xmlns='jabber:x:data' type='submit'/>")]
    [InlineData("<message xmlns='jabber:client'><body>hi</body></message>")]
    [InlineData("<nested><inherits/></nested>")] // no namespace of its own: jabber:iq:private
    [InlineData("<vCard xmlns='vcard-temp'><FN>x</FN></vCard>")]
    public async Task Private_ReservedNamespace_NotAcceptable(string element)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var set = await alice.SetAsync(null, $"<query xmlns='jabber:iq:private'>{element}</query>");
        var get = await alice.GetAsync(null, $"<query xmlns='jabber:iq:private'>{element}</query>");

        set.ShouldBeError(StanzaErrorCondition.NotAcceptable);
        get.ShouldBeError(StanzaErrorCondition.NotAcceptable);
    }

    [Fact]
    public async Task Private_EmptyQuery_NotAcceptable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var set = await alice.SetAsync(null, "<query xmlns='jabber:iq:private'/>");
        var get = await alice.GetAsync(null, "<query xmlns='jabber:iq:private'/>");

        set.ShouldBeError(StanzaErrorCondition.NotAcceptable);
        get.ShouldBeError(StanzaErrorCondition.NotAcceptable);
    }
}
