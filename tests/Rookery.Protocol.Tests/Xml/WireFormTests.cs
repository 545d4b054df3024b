using System.Text;
using Rookery.Protocol.Xml;
using static Rookery.Protocol.Tests.Xml.XmlTestFeeder;

namespace Rookery.Protocol.Tests.Xml;

/// <summary>
/// Forwarding a received stanza as the bytes it arrived as (issue #6): exactly when the tree is unchanged except for the
/// root's 'from' (and children appended to the root), and never when the bytes would mean something else elsewhere.
/// </summary>
public sealed class WireFormTests
{
    private const string Header =
        "<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='urn:p' version='1.0'>";

    private static Element Parse(string stanza, bool keep = true, Func<XmlStreamParser, List<XmlStreamEvent>, List<XmlStreamEvent>>? feed = null)
    {
        var parser = new XmlStreamParser { KeepWireForms = keep };
        var input = Encoding.UTF8.GetBytes(Header + stanza);
        var events = feed is null ? Whole(parser, input) : feed(parser, []);
        return events.Single(e => e.Kind == XmlStreamEventKind.Element).Element!;
    }

    private static string Write(Element e, string ns = Ns.Client) => ElementWriter.ToXmlString(e, ns);

    [Fact]
    public void Write_UnchangedStanza_CopiesTheReceivedBytesWithStampedFrom()
    {
        // Quote style, spacing and references are the sender's: the proof that the bytes were copied, not re-serialised.
        var message = Parse("<message  to=\"b@example.com\" type='chat'><body>a &#38; b &gt; c</body></message>");
        message.SetAttribute("from", "a@example.com/r");

        Write(message).Should().Be("<message  to=\"b@example.com\" type='chat' from='a@example.com/r'><body>a &#38; b &gt; c</body></message>");
    }

    [Fact]
    public void Write_SenderGaveFrom_IsReplacedByTheStampedOne()
    {
        var message = Parse("<message from='a@example.com' to='b@example.com'><body>x</body></message>");
        message.SetAttribute("from", "a@example.com/r");

        Write(message).Should().Be("<message  to='b@example.com' from='a@example.com/r'><body>x</body></message>");
    }

    [Fact]
    public void Write_EmptyElementRoot_KeepsItsBytes()
    {
        var presence = Parse("<presence type='unavailable'/>");
        presence.SetAttribute("from", "a@example.com/r");

        Write(presence).Should().Be("<presence type='unavailable' from='a@example.com/r'/>");
    }

    [Fact]
    public void Write_ChildAppendedToRoot_IsWrittenAfterTheReceivedChildren()
    {
        var message = Parse("<message to='b@example.com'><body>x</body> </message>");
        message.SetAttribute("from", "a@example.com/r");
        message.AddChild("stanza-id", "urn:xmpp:sid:0").SetAttribute("id", "1");

        Write(message).Should().Be("<message to='b@example.com' from='a@example.com/r'><body>x</body> <stanza-id xmlns='urn:xmpp:sid:0' id='1'/></message>");
    }

    [Theory]
    [InlineData("attribute")]
    [InlineData("child attribute")]
    [InlineData("child text")]
    [InlineData("remove")]
    [InlineData("append to empty root")]
    public void Write_ChangedTree_IsReserialised(string change)
    {
        var message = Parse(change == "append to empty root" ? "<message to='b@example.com'/>" : "<message  to='b@example.com'><body>x</body></message>");
        switch (change)
        {
            case "attribute": message.SetAttribute("to", "c@example.com"); break;
            case "child attribute": message.FirstElement()!.SetAttribute("xml:lang", "de"); break;
            case "child text": message.FirstElement()!.SetText("y"); break;
            case "remove": message.Remove(message.FirstElement()!); break;
            default: message.AddChild("body").AddText("x"); break;
        }

        // Re-serialised: single spaces, the tree's values.
        Write(message).Should().NotContain("  ").And.StartWith("<message to=");
    }

    [Fact]
    public void Write_PrefixedNames_AreReserialisedWithTheirDeclarations()
    {
        // 'p' is declared on the stream header only: copying the bytes would leave it undeclared.
        var message = Parse("<message  to='b@example.com'><p:x/><y p:a='1'/></message>");

        Write(message).Should().Be("<message to='b@example.com'><x xmlns='urn:p'/><y xmlns:p='urn:p' p:a='1'/></message>");
    }

    [Fact]
    public void Write_OtherDefaultNamespace_IsReserialised()
    {
        var message = Parse("<message  to='b@example.com'/>");

        Write(message, "jabber:component:accept").Should().Be("<message xmlns='jabber:client' to='b@example.com'/>");
    }

    [Fact]
    public void Write_NotKept_IsReserialised()
    {
        Write(Parse("<message  to='b@example.com'/>", keep: false)).Should().Be("<message to='b@example.com'/>");
    }

    [Fact]
    public void Write_StanzaSplitAcrossReads_CopiesAllItsBytes()
    {
        const string stanza = "<message  to='b@example.com'><body>h\u00e9llo <![CDATA[<x>]]> there</body></message>";
        var input = Encoding.UTF8.GetBytes(Header + stanza);
        var message = Parse(stanza, feed: (parser, events) => ByteByByte(parser, input, events));

        Write(message).Should().Be(stanza);
    }

    [Fact]
    public void Clone_KeepsTheBytes_ButChangesToTheCopyDoNotTouchTheOriginal()
    {
        var message = Parse("<message  to='b@example.com'><body>x</body></message>");
        var copy = message.Clone();
        copy.FirstElement()!.SetText("changed");

        Write(message).Should().Be("<message  to='b@example.com'><body>x</body></message>");
        Write(copy).Should().Be("<message to='b@example.com'><body>changed</body></message>");
        Write(message.Clone()).Should().Be("<message  to='b@example.com'><body>x</body></message>");
    }

    [Fact]
    public void AliasedNamespaceDeclaredOnStanza_IsReserialised()
    {
        var parser = new XmlStreamParser { KeepWireForms = true };
        parser.AliasNamespace("jabber:component:accept", Ns.Client);
        var input = Encoding.UTF8.GetBytes("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='c.example.com'>"
            + "<message xmlns='jabber:component:accept'  to='b@example.com'/>");
        var message = Whole(parser, input).Single(e => e.Kind == XmlStreamEventKind.Element).Element!;

        Write(message).Should().Be("<message to='b@example.com'/>");
    }

    [Fact]
    public void KeepSerialisedForm_CopiesStampedPerRecipient_AreWrittenFromTheSameBytes()
    {
        var template = new Element("message", Ns.Client).SetAttribute("type", "groupchat").SetAttribute("id", "g1")
            .SetAttribute("from", "room@muc.example.com/alice").SetAttribute("to", "ignored@example.com");
        template.AddChild("body").AddText("a & b < c");
        template.AddChild("occupant-id", "urn:xmpp:occupant-id:0").SetAttribute("id", "o1");

        template.KeepSerialisedForm();
        var bob = template.Clone().SetAttribute("from", "room@muc.example.com/alice").SetAttribute("to", "bob@example.com/r");
        var carol = template.Clone().SetAttribute("to", "carol@example.com/r");

        bob.UnchangedWireForm.Should().NotBeNull("stamping 'from' and 'to' keeps the serialised bytes");
        carol.UnchangedWireForm!.Bytes.Should().BeSameAs(bob.UnchangedWireForm!.Bytes, "one serialisation for every copy");
        const string Body = "<body>a &amp; b &lt; c</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='o1'/></message>";
        Write(bob).Should().Be("<message type='groupchat' id='g1' from='room@muc.example.com/alice' to='bob@example.com/r'>" + Body);
        Write(carol).Should().Be("<message type='groupchat' id='g1' from='room@muc.example.com/alice' to='carol@example.com/r'>" + Body);
    }

    [Theory]
    [InlineData("attribute")]
    [InlineData("child text")]
    [InlineData("remove")]
    public void KeepSerialisedForm_CopyChangedOtherwise_IsReserialisedAndTheOthersKeepTheirBytes(string change)
    {
        var template = new Element("message", Ns.Client).SetAttribute("type", "groupchat");
        template.AddChild("body").AddText("x");
        template.KeepSerialisedForm();
        var changed = template.Clone().SetAttribute("to", "bob@example.com/r");
        switch (change)
        {
            case "attribute": changed.SetAttribute("type", "chat"); break;
            case "child text": changed.FirstElement()!.SetText("y"); break;
            default: changed.Remove(changed.FirstElement()!); break;
        }

        var other = template.Clone().SetAttribute("to", "carol@example.com/r");

        changed.UnchangedWireForm.Should().BeNull();
        Write(changed).Should().Be(change switch
        {
            "attribute" => "<message type='chat' to='bob@example.com/r'><body>x</body></message>",
            "child text" => "<message type='groupchat' to='bob@example.com/r'><body>y</body></message>",
            _ => "<message type='groupchat' to='bob@example.com/r'/>",
        });
        other.UnchangedWireForm.Should().NotBeNull();
        Write(other).Should().Be("<message type='groupchat' to='carol@example.com/r'><body>x</body></message>");
    }

    [Fact]
    public void KeepSerialisedForm_ChildAppendedToACopy_IsWrittenAfterTheKeptChildren()
    {
        var template = new Element("message", Ns.Client).SetAttribute("type", "groupchat");
        template.AddChild("body").AddText("x");
        template.KeepSerialisedForm();
        var copy = template.Clone().SetAttribute("to", "bob@example.com/r");

        copy.AddChild("delay", "urn:xmpp:delay").SetAttribute("stamp", "2026-12-06T12:00:00Z");

        Write(copy).Should().Be("<message type='groupchat' to='bob@example.com/r'><body>x</body><delay xmlns='urn:xmpp:delay' stamp='2026-12-06T12:00:00Z'/></message>");
    }

    [Fact]
    public void KeepSerialisedForm_ReceivedStanzaCopy_ToStillMakesTheReceivedBytesStale()
    {
        // Received bytes carry the sender's 'to': only a serialised fan-out form writes 'to' from the tree.
        var message = Parse("<message  to='b@example.com'><body>x</body></message>");
        var copy = message.Clone().SetAttribute("to", "c@example.com");

        copy.UnchangedWireForm.Should().BeNull();
        Write(copy).Should().Be("<message to='c@example.com'><body>x</body></message>");
    }

    [Fact]
    public void KeepSerialisedForm_PartOfAnotherTree_IsRefused()
    {
        var message = Parse("<message  to='b@example.com'><body>x</body></message>");

        FluentActions.Invoking(() => message.FirstElement()!.KeepSerialisedForm()).Should().Throw<InvalidOperationException>();
    }
}
