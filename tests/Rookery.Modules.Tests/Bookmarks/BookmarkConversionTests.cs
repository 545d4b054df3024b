using Rookery.Modules.Bookmarks;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests.Bookmarks;

/// <summary>The conversion between XEP-0048 bookmark lists and XEP-0402 items (XEP-0402 §5.3).</summary>
public sealed class BookmarkConversionTests
{
    [Fact]
    public void ToItems_FullConference_AttributesNickAndPasswordCarriedOver()
    {
        var storage = StoredStanza.Parse(
            "<storage xmlns='storage:bookmarks'>" +
            "<conference jid='council@conference.example.org' name='The Council' autojoin='true'><nick>Romeo</nick><password>secret</password></conference>" +
            "</storage>");

        var items = BookmarkConversion.ToItems(storage);

        items.Should().ContainSingle();
        items[0].Id.Should().Be("council@conference.example.org", "XEP-0402 §2: the item id is the room's JID");
        items[0].Conference.ToString().Should().Be(
            "<conference xmlns='urn:xmpp:bookmarks:1' name='The Council' autojoin='true'><nick>Romeo</nick><password>secret</password></conference>");
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData(null, false)]
    public void ToItems_Autojoin_ReadAsXsBoolean(string? autojoin, bool expected)
    {
        var conference = new Element("conference", BookmarkConversion.LegacyNamespace).SetAttribute("jid", "room@muc.example.org").SetAttribute("autojoin", autojoin);
        var storage = new Element("storage", BookmarkConversion.LegacyNamespace);
        storage.Add(conference);

        var item = BookmarkConversion.ToItems(storage).Single().Conference;

        item.GetAttribute("autojoin").Should().Be(expected ? "true" : null);
    }

    [Fact]
    public void ToItems_ForeignElements_KeptAsExtensions()
    {
        var storage = StoredStanza.Parse(
            "<storage xmlns='storage:bookmarks'>" +
            "<conference jid='room@muc.example.org'><nick>n</nick><state xmlns='urn:example:client' minimized='1'/></conference>" +
            "</storage>");

        var conference = BookmarkConversion.ToItems(storage).Single().Conference;

        var extension = conference.Child("extensions", BookmarkConversion.Namespace)!.Child("state", "urn:example:client");
        extension.Should().NotBeNull("XEP-0402 §2: what other specifications add to a bookmark lives in <extensions/>");
        extension!.GetAttribute("minimized").Should().Be("1");
        conference.ChildText("nick", BookmarkConversion.Namespace).Should().Be("n");
    }

    [Fact]
    public void ToItems_RoomListedTwice_LastEntryWins()
    {
        var storage = StoredStanza.Parse(
            "<storage xmlns='storage:bookmarks'>" +
            "<conference jid='room@muc.example.org' name='old'/><conference jid='other@muc.example.org'/><conference jid='room@muc.example.org' name='new'/>" +
            "</storage>");

        var items = BookmarkConversion.ToItems(storage);

        items.Select(i => i.Id).Should().Equal("other@muc.example.org", "room@muc.example.org");
        items[1].Conference.GetAttribute("name").Should().Be("new");
    }

    [Theory]
    [InlineData("<conference name='no jid'/>")]
    [InlineData("<conference jid='@bad'/>")]
    public void ToItems_ConferenceWithoutValidJid_BadRequest(string conference)
    {
        var storage = StoredStanza.Parse($"<storage xmlns='storage:bookmarks'>{conference}</storage>");

        var act = () => BookmarkConversion.ToItems(storage);

        act.Should().Throw<StanzaErrorException>().Which.Condition.Should().Be(StanzaErrorCondition.BadRequest);
    }

    [Fact]
    public void ToStorage_Items_BecomeConferencesWithJidFromItemIdAndExtensionsInline()
    {
        var payload = StoredStanza.Parse(
            "<conference xmlns='urn:xmpp:bookmarks:1' name='Orchard' autojoin='1'><nick>Juliet</nick><password>pw</password>" +
            "<extensions><state xmlns='urn:example:client' minimized='1'/></extensions></conference>");

        var storage = BookmarkConversion.ToStorage([("orchard@muc.example.org", payload)], null);

        storage.ToString().Should().Be(
            "<storage xmlns='storage:bookmarks'><conference jid='orchard@muc.example.org' name='Orchard' autojoin='true'>" +
            "<nick>Juliet</nick><password>pw</password><state xmlns='urn:example:client' minimized='1'/></conference></storage>");
    }

    [Fact]
    public void ToStorage_NonConferencePayload_LeftOutAndOthersAppended()
    {
        var others = StoredStanza.Parse("<storage xmlns='storage:bookmarks'><url name='Site' url='https://example.org/'/></storage>");

        var storage = BookmarkConversion.ToStorage(
            [("a@muc.example.org", StoredStanza.Parse("<note xmlns='urn:example'/>")), ("b@muc.example.org", StoredStanza.Parse("<conference xmlns='urn:xmpp:bookmarks:1'/>"))],
            others);

        storage.ToString().Should().Be(
            "<storage xmlns='storage:bookmarks'><conference jid='b@muc.example.org'/><url name='Site' url='https://example.org/'/></storage>");
    }

    [Fact]
    public void RoundTrip_LegacyListThroughItems_ComesBackTheSame()
    {
        const string Legacy =
            "<storage xmlns='storage:bookmarks'>" +
            "<conference jid='a@muc.example.org' name='A' autojoin='true'><nick>me</nick><password>pw</password><x xmlns='urn:example:x'>1</x></conference>" +
            "<conference jid='b@muc.example.org'/>" +
            "<url name='Site' url='https://example.org/'/>" +
            "</storage>";
        var storage = StoredStanza.Parse(Legacy);

        var back = BookmarkConversion.ToStorage(
            BookmarkConversion.ToItems(storage).Select(i => (i.Id, StoredStanza.Parse(i.Conference.ToString()))),
            BookmarkConversion.Others(storage));

        back.ToString().Should().Be(Legacy);
    }

    [Fact]
    public void Others_KeepsAllButConferences()
    {
        var storage = StoredStanza.Parse(
            "<storage xmlns='storage:bookmarks'><conference jid='a@muc.example.org'/><url name='Site' url='https://example.org/'/></storage>");

        var others = BookmarkConversion.Others(storage);

        others.ToString().Should().Be("<storage xmlns='storage:bookmarks'><url name='Site' url='https://example.org/'/></storage>");
        BookmarkConversion.HasRooms(storage).Should().BeTrue();
        BookmarkConversion.HasRooms(others).Should().BeFalse();
    }
}
