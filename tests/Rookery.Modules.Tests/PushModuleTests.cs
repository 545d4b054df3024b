using Rookery.Modules.Push;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests;

/// <summary>Which waiting messages are worth a push notification (XEP-0357; "important" in Prosody's words).</summary>
public sealed class PushModuleTests
{
    [Theory]
    [InlineData("<message type='chat'><body>hi</body></message>", true)]
    [InlineData("<message><body>normal</body></message>", true)]
    [InlineData("<message type='groupchat'><body>in a room</body></message>", true)]
    [InlineData("<message type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'/></message>", true)]
    [InlineData("<message type='chat'><encrypted xmlns='urn:xmpp:omemo:2'/></message>", true)]
    [InlineData("<message type='chat'><openpgp xmlns='urn:xmpp:openpgp:0'>x</openpgp></message>", true)]
    [InlineData("<message><propose xmlns='urn:xmpp:jingle-message:0' id='c1'/></message>", true)]
    [InlineData("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", false)]
    [InlineData("<message type='chat'><received xmlns='urn:xmpp:receipts' id='1'/></message>", false)]
    [InlineData("<message type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='1'/></message>", false)]
    [InlineData("<message type='chat'><body/></message>", false)]
    [InlineData("<message type='error'><body>bounced</body></message>", false)]
    [InlineData("<message type='headline'><body>news</body></message>", false)]
    [InlineData("<message><body xmlns='urn:example'>not a body</body></message>", false)]
    public void IsWorthNotifying_ByContent(string xml, bool expected)
    {
        PushModule.IsWorthNotifying(StoredStanza.Parse(xml), out _).Should().Be(expected);
    }

    [Fact]
    public void IsWorthNotifying_ReceivedCarbon_JudgedByTheForwardedMessage()
    {
        var carbon = StoredStanza.Parse(
            "<message from='alice@example.org' to='alice@example.org/phone'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>" +
            "<message xmlns='jabber:client' from='bob@example.org/pc' to='alice@example.org/laptop' type='chat'><body>hello</body></message>" +
            "</forwarded></received></message>");
        var stateOnly = StoredStanza.Parse(
            "<message from='alice@example.org' to='alice@example.org/phone'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>" +
            "<message xmlns='jabber:client' from='bob@example.org/pc' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>" +
            "</forwarded></received></message>");

        PushModule.IsWorthNotifying(carbon, out var content).Should().BeTrue();
        content.GetAttribute("from").Should().Be("bob@example.org/pc", "sender and body come from the forwarded message");
        PushModule.IsWorthNotifying(stateOnly, out _).Should().BeFalse();
    }

    [Fact]
    public void IsWorthNotifying_SentCarbon_OwnMessageNeverNotifies()
    {
        var sent = StoredStanza.Parse(
            "<message from='alice@example.org' to='alice@example.org/phone'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>" +
            "<message xmlns='jabber:client' from='alice@example.org/laptop' to='bob@example.org' type='chat'><body>mine</body></message>" +
            "</forwarded></sent></message>");

        PushModule.IsWorthNotifying(sent, out _).Should().BeFalse();
    }
}
