using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using static Rookery.Protocol.Tests.Xml.XmlTestFeeder;

namespace Rookery.Protocol.Tests.Xml;

public sealed class XmlStreamParserTests
{
    private const string Header =
        "<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

    // A typical client stream: declaration, header, STARTTLS, a message exercising entities, character references,
    // multi-byte UTF-8, CDATA, prefixes and namespace changes, whitespace keepalives, an iq, and the closing tag.
    private const string ClientStream =
        "<?xml version='1.0' encoding='UTF-8'?>\n" +
        "<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en'>\n" +
        "  <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n" +
        "<message to='juliet@example.com/balcony' from=\"romeo@example.net/orchard\" type='chat' id='m&amp;1' xml:lang='en'>" +
        "<body>Wherefore &lt;art&gt; thou &amp; &quot;Romeo&quot; &apos;? &#169;&#x1F600; h\u00e9llo \U0001F600 \u65e5\u672c</body>" +
        "<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>Hi <b>there</b>!</p></body></html>" +
        "<x:x xmlns:x='jabber:x:data' type='form' x:note='p'><x:field var='a'><value>1</value></x:field></x:x>" +
        "<note><![CDATA[<not> & markup ]] ]]]></note>" +
        "<thread>t1</thread></message> \n\t \n" +
        "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>" +
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>" +
        "</stream:stream>";

    // One attribute, 49 bytes: for tests with small limits.
    private const string ShortHeader = "<stream xmlns='http://etherx.jabber.org/streams'>";

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> Dumps(List<XmlStreamEvent> events) => events.ConvertAll(Dump);

    private static StreamErrorException ParseError(string input, XmlLimits? limits = null) => ParseError(Utf8(input), limits);

    private static StreamErrorException ParseError(byte[] input, XmlLimits? limits = null)
    {
        var act = () => Whole(new XmlStreamParser(limits), input);
        return act.Should().Throw<StreamErrorException>().Which;
    }

    private static List<XmlStreamEvent> InStream(string body) => Whole(new XmlStreamParser(), Utf8(Header + body));

    [Fact]
    public void TryRead_TypicalClientStreamWhole_ProducesExpectedEvents()
    {
        var parser = new XmlStreamParser();
        var events = Whole(parser, Utf8(ClientStream));

        events.Select(e => e.Kind).Should().Equal(
            XmlStreamEventKind.StreamOpen, XmlStreamEventKind.Element, XmlStreamEventKind.Element,
            XmlStreamEventKind.Element, XmlStreamEventKind.Element, XmlStreamEventKind.StreamClose);
        parser.ContentNamespace.Should().Be(Ns.Client);

        var header = events[0].Element!;
        header.Name.Should().Be("stream");
        header.Namespace.Should().Be(Ns.Streams);
        header.Attributes.Select(a => a.Key).Should().Equal("to", "version", "xml:lang");
        header.GetAttribute("xml:lang").Should().Be("en");

        var starttls = events[1].Element!;
        starttls.Name.Should().Be("starttls");
        starttls.Namespace.Should().Be(Ns.Tls);
        starttls.HasNodes.Should().BeFalse();

        var message = events[2].Element!;
        message.Name.Should().Be("message");
        message.Namespace.Should().Be(Ns.Client);
        message.GetAttribute("id").Should().Be("m&1");
        message.GetAttribute("from").Should().Be("romeo@example.net/orchard");
        message.ChildText("body", Ns.Client).Should().Be("Wherefore <art> thou & \"Romeo\" '? \u00a9\U0001F600 h\u00e9llo \U0001F600 \u65e5\u672c");

        var html = message.Child("html", "http://jabber.org/protocol/xhtml-im")!;
        var p = html.Child("body", "http://www.w3.org/1999/xhtml")!.Child("p", "http://www.w3.org/1999/xhtml")!;
        p.Nodes.Should().HaveCount(3);
        p.Nodes[0].Should().Be("Hi ");
        ((Element)p.Nodes[1]).Text.Should().Be("there");
        p.Nodes[2].Should().Be("!");

        var form = message.Child("x", "jabber:x:data")!;
        // The prefixed attribute brings its declaration along, so the element stays well-formed on its own.
        form.Attributes.Select(a => a.Key).Should().Equal("type", "xmlns:x", "x:note");
        form.GetAttribute("xmlns:x").Should().Be("jabber:x:data");
        var field = form.Child("field", "jabber:x:data")!;
        field.GetAttribute("var").Should().Be("a");
        field.Child("value", Ns.Client)!.Text.Should().Be("1", "an unprefixed child inherits the default namespace, not the prefix's");

        message.ChildText("note", Ns.Client).Should().Be("<not> & markup ]] ]");
        message.ChildText("thread", Ns.Client).Should().Be("t1");

        var iq = events[3].Element!;
        iq.Child("ping", "urn:xmpp:ping").Should().NotBeNull();

        var features = events[4].Element!;
        features.Name.Should().Be("features");
        features.Namespace.Should().Be(Ns.Streams, "the stream: prefix declared on the header stays in scope");
        features.Child("bind", Ns.Bind).Should().NotBeNull();

        events[5].Element.Should().BeNull();
    }

    [Fact]
    public void TryRead_TypicalClientStreamByteByByte_MatchesWholeParse()
    {
        var input = Utf8(ClientStream);
        var expected = Dumps(Whole(new XmlStreamParser(), input));

        Dumps(ByteByByte(new XmlStreamParser(), input)).Should().Equal(expected);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(1234)]
    public void TryRead_TypicalClientStreamInRandomSegments_MatchesWholeParse(int seed)
    {
        var input = Utf8(ClientStream);
        var expected = Dumps(Whole(new XmlStreamParser(), input));

        Dumps(RandomSegments(new XmlStreamParser(), input, seed)).Should().Equal(expected);

        var random = new Random(seed);
        var arrivals = Enumerable.Range(0, input.Length).Select(_ => random.Next(1, 9));
        Dumps(InArrivals(new XmlStreamParser(), input, arrivals)).Should().Equal(expected);
    }

    [Fact]
    public void TryRead_SplitAtEveryPosition_MatchesWholeParse()
    {
        // Two arrivals split at every byte: exercises every token boundary once as a segment boundary.
        var input = Utf8(ClientStream);
        var expected = Dumps(Whole(new XmlStreamParser(), input));
        for (var split = 1; split < input.Length; split++)
        {
            Dumps(InArrivals(new XmlStreamParser(), input, [split, input.Length])).Should().Equal(expected, $"split at {split}");
        }
    }

    [Fact]
    public void TryRead_SameStanzaToTwice_SharesTheString()
    {
        var events = Whole(new XmlStreamParser(), Utf8(Header + "<message to='b@example.com/r'/><message to=\"b@example.com/r\"/><message to='c@example.com'/>"));
        var to = events.Where(e => e.Kind == XmlStreamEventKind.Element).Select(e => e.Element!.GetAttribute("to")).ToList();

        to.Should().Equal("b@example.com/r", "b@example.com/r", "c@example.com");
        to[1].Should().BeSameAs(to[0], "a client writing to the same peer again costs no new string");
    }

    [Theory]
    [InlineData("a&amp;amp;b", "a&amp;b", "a&b")]
    [InlineData("a&#64;b", "a@b", "a@b")]
    [InlineData("a\u00e9b", "a&#233;b", "a\u00e9b")]
    [InlineData("a b", "a\tb", "a b")]
    public void TryRead_ToAfterASimilarTo_IsDecodedFromItsOwnBytes(string first, string second, string expected)
    {
        first = System.Text.RegularExpressions.Regex.Unescape(first);
        second = System.Text.RegularExpressions.Regex.Unescape(second);
        expected = System.Text.RegularExpressions.Regex.Unescape(expected);
        var events = Whole(new XmlStreamParser(), Utf8(Header + $"<message to='{first}'/><message to='{second}'/>"));

        events.Where(e => e.Kind == XmlStreamEventKind.Element).Last().Element!.GetAttribute("to").Should().Be(expected);
    }

    [Fact]
    public void TryRead_ToOfAChild_IsNotTheStanzaTo()
    {
        var events = Whole(new XmlStreamParser(), Utf8(Header + "<message to='b@example.com'><x to='b@example.com'/></message>"));
        var message = events.Single(e => e.Kind == XmlStreamEventKind.Element).Element!;

        message.FirstElement()!.GetAttribute("to").Should().Be("b@example.com");
    }

    [Fact]
    public void TryRead_IncompleteToken_LeavesItUnconsumedAndNeedsMore()
    {
        var parser = new XmlStreamParser();
        var buffer = new ReadOnlySequence<byte>(Utf8(Header + "<message><body>hi</body></mess"));

        parser.TryRead(ref buffer, out var open).Should().BeTrue();
        open.Kind.Should().Be(XmlStreamEventKind.StreamOpen);
        parser.TryRead(ref buffer, out _).Should().BeFalse();

        Encoding.UTF8.GetString(buffer.ToArray()).Should().Be("</mess", "complete tokens are consumed, partial trees kept in the parser");
    }

    [Fact]
    public void TryRead_HeaderWithoutDeclarationAfterWhitespace_OpensStream()
    {
        var parser = new XmlStreamParser();
        var events = Whole(parser, Utf8("\r\n  " + Header));

        events.Should().ContainSingle().Which.Kind.Should().Be(XmlStreamEventKind.StreamOpen);
        events[0].Element!.GetAttribute("to").Should().Be("example.com");
    }

    [Fact]
    public void TryRead_HeaderWithoutDefaultNamespace_ContentNamespaceNullAndChildrenUnqualified()
    {
        var parser = new XmlStreamParser();
        var events = Whole(parser, Utf8("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message/>"));

        parser.ContentNamespace.Should().BeNull();
        events[1].Element!.Namespace.Should().BeEmpty();
    }

    [Fact]
    public void TryRead_AliasedComponentNamespace_StanzasInCanonicalNamespaceHeaderAsDeclared()
    {
        var parser = new XmlStreamParser();
        parser.AliasNamespace(Ns.Component, Ns.Client);
        var events = Whole(parser, Utf8("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'><message><body>x</body><x xmlns='jabber:x:data'/></message>"));

        parser.ContentNamespace.Should().Be(Ns.Component, "the header reports what the peer declared");
        var message = events[1].Element!;
        message.Namespace.Should().Be(Ns.Client);
        message.Child("body", Ns.Client).Should().NotBeNull();
        message.Child("x", "jabber:x:data").Should().NotBeNull("other namespaces are untouched");
    }

    [Fact]
    public void TryRead_ServerStreamWithDialbackPrefix_ResolvesPrefixFromHeader()
    {
        var parser = new XmlStreamParser();
        var events = Whole(parser, Utf8(
            "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams'>" +
            "<db:result from='a.example' to='b.example'>key</db:result>"));

        parser.ContentNamespace.Should().Be(Ns.Server);
        var result = events[1].Element!;
        result.Name.Should().Be("result");
        result.Namespace.Should().Be("jabber:server:dialback");
        result.Text.Should().Be("key");
    }

    [Fact]
    public void TryRead_SelfClosedHeader_OpensThenClosesStream()
    {
        var events = Whole(new XmlStreamParser(), Utf8("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>"));

        events.Select(e => e.Kind).Should().Equal(XmlStreamEventKind.StreamOpen, XmlStreamEventKind.StreamClose);
    }

    [Fact]
    public void TryRead_NamespaceDeclarationsAreScopedToTheirElement()
    {
        var events = InStream(
            "<message><a xmlns='urn:a' xmlns:p='urn:p'><b/><p:c/></a><b/><x xmlns:p='urn:other'><p:c/></x></message>");

        var message = events[1].Element!;
        var a = message.Child("a", "urn:a")!;
        a.Child("b", "urn:a").Should().NotBeNull();
        a.Child("c", "urn:p").Should().NotBeNull();
        message.Child("b", Ns.Client).Should().NotBeNull("the default namespace reverts after </a>");
        message.Child("x", Ns.Client)!.Child("c", "urn:other").Should().NotBeNull("a prefix can be rebound");
        a.Attributes.Should().BeEmpty("xmlns declarations are not attributes");
    }

    [Fact]
    public void TryRead_PrefixUsedAfterItsScope_ThrowsBadNamespacePrefix()
    {
        var act = () => InStream("<message><a xmlns:p='urn:p'/><p:c/></message>");

        act.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.BadNamespacePrefix);
    }

    [Fact]
    public void TryRead_UndeclaredAttributePrefix_ThrowsBadNamespacePrefix()
    {
        var act = () => InStream("<message q:x='1'/>");

        act.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.BadNamespacePrefix);
    }

    [Fact]
    public void TryRead_WellKnownNames_AreInternedAcrossStanzas()
    {
        var events = InStream("<message type='chat'><body>a</body></message><message type='chat'><body>b</body></message>");

        var first = events[1].Element!;
        var second = events[2].Element!;
        first.Namespace.Should().BeSameAs(Ns.Client);
        second.Name.Should().BeSameAs(first.Name);
        second.GetAttribute("type").Should().BeSameAs(first.GetAttribute("type"));
        second.FirstElement()!.Name.Should().BeSameAs(first.FirstElement()!.Name);
    }

    [Fact]
    public void TryRead_UnknownNamesRepeated_AreCachedPerParser()
    {
        var events = InStream("<iq><q xmlns='urn:example:custom-thing'/></iq><iq><q xmlns='urn:example:custom-thing'/></iq>");

        events[2].Element!.FirstElement()!.Namespace.Should().BeSameAs(events[1].Element!.FirstElement()!.Namespace);
    }

    [Fact]
    public void TryRead_LineEndsAndAttributeWhitespace_AreNormalised()
    {
        var events = InStream("<message a='x\ty\r\nz\nw&#10;v'><body>l1\r\nl2\rl3&#13;</body></message>");

        var message = events[1].Element!;
        message.GetAttribute("a").Should().Be("x y z w\nv", "XML 1.0 §3.3.3; references are not normalised");
        message.ChildText("body", Ns.Client).Should().Be("l1\nl2\nl3\r", "XML 1.0 §2.11");
    }

    [Fact]
    public void TryRead_LineEndSplitAcrossReads_IsNormalisedOnce()
    {
        var input = Utf8(Header + "<message><body>a\r\nb</body></message>");
        var crlf = Header.Length + "<message><body>a\r".Length;

        var events = InArrivals(new XmlStreamParser(), input, [crlf, input.Length]);

        events[1].Element!.ChildText("body", Ns.Client).Should().Be("a\nb");
    }

    [Fact]
    public void TryRead_WhitespaceInsideStanza_IsKept()
    {
        var events = InStream("<message>\n  <body> x </body>\n</message>");

        var message = events[1].Element!;
        message.Nodes.Should().HaveCount(3);
        message.Nodes[0].Should().Be("\n  ");
        message.ChildText("body", Ns.Client).Should().Be(" x ");
    }

    [Fact]
    public void TryRead_Keepalives_AreConsumedSilently()
    {
        var parser = new XmlStreamParser();
        var buffer = new ReadOnlySequence<byte>(Utf8(Header + " \n \t\r\n"));

        parser.TryRead(ref buffer, out _).Should().BeTrue();
        parser.TryRead(ref buffer, out _).Should().BeFalse();

        buffer.Length.Should().Be(0);
    }

    [Fact]
    public void TryRead_Utf8ByteOrderMark_IsSkipped()
    {
        var input = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Utf8(Header)).ToArray();

        ByteByByte(new XmlStreamParser(), input).Should().ContainSingle();
    }

    [Fact]
    public void Reset_AfterStanzas_AcceptsNewHeaderAndDeclaration()
    {
        var parser = new XmlStreamParser();
        var buffer = new ReadOnlySequence<byte>(Utf8(Header + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
        parser.TryRead(ref buffer, out _).Should().BeTrue();
        parser.TryRead(ref buffer, out var starttls).Should().BeTrue();
        starttls.Element!.Name.Should().Be("starttls");

        parser.Reset();
        parser.ContentNamespace.Should().BeNull();

        var restarted = Whole(parser, Utf8("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'><iq/>"));
        restarted.Select(e => e.Kind).Should().Equal(XmlStreamEventKind.StreamOpen, XmlStreamEventKind.Element);
        parser.ContentNamespace.Should().Be(Ns.Server);
        restarted[1].Element!.Namespace.Should().Be(Ns.Server);
    }

    [Fact]
    public void Reset_WithPartialStanzaPending_ForgetsIt()
    {
        var parser = new XmlStreamParser();
        Whole(parser, Utf8(Header + "<message><body>half"));

        parser.Reset();
        var events = Whole(parser, Utf8(Header + "<iq/>"));

        events.Select(e => e.Kind).Should().Equal(XmlStreamEventKind.StreamOpen, XmlStreamEventKind.Element);
        events[1].Element!.Name.Should().Be("iq");
    }

    [Fact]
    public void TryRead_WithoutReset_SecondHeaderIsAStanzaInTheStreamNamespace()
    {
        // Without Reset the parser is still inside the first stream: a second header is just an unclosed element.
        var parser = new XmlStreamParser();
        var events = Whole(parser, Utf8(Header + Header));

        events.Should().ContainSingle();
    }

    // ---- restricted XML (RFC 6120 §11.1) ----

    [Theory]
    [InlineData("<!-- comment -->" + Header)]
    [InlineData(Header + "<!-- comment -->")]
    [InlineData(Header + "<message><!-- c --></message>")]
    [InlineData(Header + "<message><!-")]
    [InlineData("<?xml version='1.0'?><?php echo 1; ?>" + Header)]
    [InlineData(Header + "<?xml version='1.0'?>")]
    [InlineData(Header + "<message><?pi data?></message>")]
    [InlineData("<?xml-stylesheet href='a'?>" + Header)]
    [InlineData("<!DOCTYPE stream>" + Header)]
    [InlineData("<!DOCTYPE stream [<!ENTITY x 'boom'>]>" + Header)]
    [InlineData(Header + "<message><!ENTITY x 'y'></message>")]
    [InlineData(Header + "<message><body>&custom;</body></message>")]
    [InlineData(Header + "<message to='&custom;'/>")]
    [InlineData(Header + "<message><body>&nbsp;</body></message>")]
    public void TryRead_RestrictedXml_ThrowsRestrictedXml(string input)
    {
        ParseError(input).Condition.Should().Be(StreamErrorCondition.RestrictedXml);
        var act = () => ByteByByte(new XmlStreamParser(), Utf8(input));
        act.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.RestrictedXml);
    }

    // ---- malformed XML ----

    [Theory]
    [InlineData(Header + "<message><body></message>")]
    [InlineData(Header + "<message></Message>")]
    [InlineData(Header + "</message>")]
    [InlineData(Header + "</stream:foo>")]
    [InlineData(Header + "<1abc/>")]
    [InlineData(Header + "<mes$sage/>")]
    [InlineData(Header + "<:a/>")]
    [InlineData(Header + "<a:/>")]
    [InlineData(Header + "<a:b:c xmlns:a='urn:a'/>")]
    [InlineData(Header + "< message/>")]
    [InlineData(Header + "<message to='a<b'/>")]
    [InlineData(Header + "<message to=a/>")]
    [InlineData(Header + "<message to='a'from='b'/>")]
    [InlineData(Header + "<message to/>")]
    [InlineData(Header + "<message to='a' to='b'/>")]
    [InlineData(Header + "<message xmlns='a' xmlns='b'/>")]
    [InlineData(Header + "<message/ >")]
    [InlineData(Header + "<message><body>a]]>b</body></message>")]
    [InlineData(Header + "<message><body>a &amp b</body></message>")]
    [InlineData(Header + "<message><body>a & b</body></message>")]
    [InlineData(Header + "<message><body>&;</body></message>")]
    [InlineData(Header + "<message><body>&#0;</body></message>")]
    [InlineData(Header + "<message><body>&#x1;</body></message>")]
    [InlineData(Header + "<message><body>&#xD800;</body></message>")]
    [InlineData(Header + "<message><body>&#xFFFE;</body></message>")]
    [InlineData(Header + "<message><body>&#x110000;</body></message>")]
    [InlineData(Header + "<message><body>&#99999999999999;</body></message>")]
    [InlineData(Header + "<message><body>&#xZZ;</body></message>")]
    [InlineData(Header + "<message><body>&#;</body></message>")]
    [InlineData(Header + "<message><body>a\u0001b</body></message>")]
    [InlineData(Header + "<message to='a\u001Fb'/>")]
    [InlineData(Header + "<message><body>\uFFFF</body></message>")]
    [InlineData(Header + "hello")]
    [InlineData(Header + "&amp;")]
    [InlineData(Header + "<![CDATA[x]]>")]
    [InlineData(Header + "<message><![CDAT[x]]></message>")]
    [InlineData("hello" + Header)]
    [InlineData("</stream:stream>")]
    [InlineData(Header + "</stream:stream><message/>")]
    [InlineData("<?xml version='2.0'?>" + Header)]
    [InlineData("<?xml encoding='UTF-8'?>" + Header)]
    [InlineData("<?xml version='1.0' foo='bar'?>" + Header)]
    [InlineData("<?xml version='1.0' standalone='maybe'?>" + Header)]
    [InlineData(Header + "<xmlns:a/>")]
    [InlineData(Header + "<message xmlns:p=''/>")]
    [InlineData(Header + "<message xmlns:xmlns='urn:x'/>")]
    [InlineData(Header + "<message xmlns:xml='urn:x'/>")]
    public void TryRead_MalformedXml_ThrowsNotWellFormed(string input)
    {
        ParseError(input).Condition.Should().Be(StreamErrorCondition.NotWellFormed);
        var act = () => ByteByByte(new XmlStreamParser(), Utf8(input));
        act.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.NotWellFormed);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })] // bad continuation
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // encoded surrogate
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // beyond U+10FFFF
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0x80 })] // lone continuation
    [InlineData(new byte[] { 0xE6, 0x97 })] // truncated before '<'
    public void TryRead_InvalidUtf8_ThrowsNotWellFormedInTextAttributesAndNames(byte[] bad)
    {
        var h = Utf8(Header);
        byte[][] inputs =
        [
            [.. h, .. "<message><body>a"u8, .. bad, .. "</body></message>"u8],
            [.. h, .. "<message to='a"u8, .. bad, .. "'/>"u8],
            [.. h, .. "<message><![CDATA[a"u8, .. bad, .. "]]></message>"u8],
            [.. h, .. "<m"u8, .. bad, .. "/>"u8],
        ];

        foreach (var input in inputs)
        {
            ParseError(input).Condition.Should().Be(StreamErrorCondition.NotWellFormed);
            var act = () => ByteByByte(new XmlStreamParser(), input);
            act.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.NotWellFormed);
        }
    }

    [Fact]
    public void TryRead_NonAsciiNames_AreAccepted()
    {
        var events = InStream("<message><\u00e9l\u00e9ment xmlns='urn:x' \u65e5='\u672c'/></message>");

        var child = events[1].Element!.FirstElement()!;
        child.Name.Should().Be("\u00e9l\u00e9ment");
        child.GetAttribute("\u65e5").Should().Be("\u672c");
    }

    // ---- stream header ----

    [Fact]
    public void TryRead_HeaderInWrongNamespace_ThrowsInvalidNamespace()
    {
        ParseError("<stream:stream xmlns:stream='http://example.com/streams'>").Condition
            .Should().Be(StreamErrorCondition.InvalidNamespace);
        ParseError("<stream xmlns='jabber:client'>").Condition.Should().Be(StreamErrorCondition.InvalidNamespace);
    }

    [Fact]
    public void TryRead_HeaderWithUndeclaredPrefix_ThrowsBadNamespacePrefix()
    {
        ParseError("<stream:stream xmlns='jabber:client'>").Condition.Should().Be(StreamErrorCondition.BadNamespacePrefix);
    }

    [Fact]
    public void TryRead_DefaultNamespacedStreamHeader_IsAccepted()
    {
        var events = Whole(new XmlStreamParser(), Utf8("<stream xmlns='http://etherx.jabber.org/streams'></stream>"));

        events.Select(e => e.Kind).Should().Equal(XmlStreamEventKind.StreamOpen, XmlStreamEventKind.StreamClose);
    }

    [Theory]
    [InlineData("<?xml version='1.0' encoding='ISO-8859-1'?>")]
    [InlineData("<?xml version='1.0' encoding='UTF-16'?>")]
    public void TryRead_NonUtf8Declaration_ThrowsUnsupportedEncoding(string declaration)
    {
        ParseError(declaration + Header).Condition.Should().Be(StreamErrorCondition.UnsupportedEncoding);
    }

    [Fact]
    public void TryRead_Utf16Input_ThrowsUnsupportedEncoding()
    {
        ParseError(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Header)).ToArray()).Condition
            .Should().Be(StreamErrorCondition.UnsupportedEncoding);
        ParseError(Encoding.Unicode.GetBytes(Header)).Condition.Should().Be(StreamErrorCondition.UnsupportedEncoding);
        ParseError(Encoding.BigEndianUnicode.GetBytes(Header)).Condition.Should().Be(StreamErrorCondition.UnsupportedEncoding);
    }

    [Fact]
    public void TryRead_DeclarationVariants_AreAccepted()
    {
        var events = Whole(new XmlStreamParser(), Utf8("<?xml version=\"1.0\" encoding=\"utf-8\" standalone='yes' ?>" + Header));

        events.Should().ContainSingle();
    }

    // ---- limits ----

    [Fact]
    public void TryRead_StanzaAtSizeLimit_IsAccepted()
    {
        var stanza = "<message><body>" + new string('a', 100 - "<message><body></body></message>".Length) + "</body></message>";
        stanza.Length.Should().Be(100);

        var events = Whole(new XmlStreamParser(new XmlLimits { MaxStanzaBytes = 100 }), Utf8(ShortHeader + stanza + stanza));

        events.Should().HaveCount(3, "the size counter restarts with each stanza");
    }

    [Fact]
    public void TryRead_StanzaOverSizeLimit_ThrowsPolicyViolation()
    {
        var stanza = "<message><body>" + new string('a', 101 - "<message><body></body></message>".Length) + "</body></message>";
        var limits = new XmlLimits { MaxStanzaBytes = 100 };

        var error = ParseError(ShortHeader + stanza, limits);

        error.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
        error.Text.Should().Be("stanza exceeds 100 bytes");
        var act = () => ByteByByte(new XmlStreamParser(limits), Utf8(ShortHeader + stanza));
        act.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
    }

    [Fact]
    public void TryRead_OversizedStanzaWithManySmallTokens_ThrowsPolicyViolation()
    {
        var body = string.Concat(Enumerable.Repeat("<a/>", 40));

        var error = ParseError(ShortHeader + "<message>" + body + "</message>", new XmlLimits { MaxStanzaBytes = 100 });

        error.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
    }

    [Fact]
    public void TryRead_OversizedHeader_ThrowsPolicyViolation()
    {
        var header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + new string('a', 200) + "'>";

        var error = ParseError(header, new XmlLimits { MaxStanzaBytes = 100 });

        error.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
        error.Text.Should().Contain("stream header exceeds 100 bytes");
    }

    [Fact]
    public void TryRead_NestingAtDepthLimit_IsAccepted()
    {
        var events = Whole(new XmlStreamParser(new XmlLimits { MaxDepth = 3 }), Utf8(ShortHeader + "<a><b><c/></b></a>"));

        events.Should().HaveCount(2);
    }

    [Fact]
    public void TryRead_NestingOverDepthLimit_ThrowsPolicyViolation()
    {
        var error = ParseError(ShortHeader + "<a><b><c><d/></c></b></a>", new XmlLimits { MaxDepth = 3 });

        error.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
        error.Text.Should().Be("element nesting exceeds 3");
    }

    [Fact]
    public void TryRead_DefaultDepthLimit_StopsDeepNestingWithoutStackOverflow()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100_000));

        var error = ParseError(Header + deep);

        error.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
        error.Text.Should().Be("element nesting exceeds 64");
    }

    [Fact]
    public void TryRead_AttributesAtLimit_AreAccepted()
    {
        var events = Whole(new XmlStreamParser(new XmlLimits { MaxAttributes = 2 }), Utf8(ShortHeader + "<message a='1' b='2'/>"));

        events[1].Element!.Attributes.Should().HaveCount(2);
    }

    [Fact]
    public void TryRead_TooManyAttributes_ThrowsPolicyViolation()
    {
        var error = ParseError(ShortHeader + "<message a='1' b='2' c='3'/>", new XmlLimits { MaxAttributes = 2 });

        error.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
        error.Text.Should().StartWith("too many attributes");
    }

    [Fact]
    public async Task TryRead_EndlessAttributeValueThroughPipe_ThrowsPolicyViolationOnceLimitPassed()
    {
        // The DoS case: an attribute value that never ends must not be buffered forever.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));
        var parser = new XmlStreamParser();
        var chunk = Encoding.ASCII.GetBytes(new string('a', 4096));
        long sent = 0;
        pipe.Writer.Write(Utf8(Header + "<message to='"));
        StreamErrorException? error = null;
        while (error is null && sent < 4 * XmlLimits.Default.MaxStanzaBytes)
        {
            pipe.Writer.Write(chunk);
            sent += chunk.Length;
            await pipe.Writer.FlushAsync();
            pipe.Reader.TryRead(out var result).Should().BeTrue();
            var buffer = result.Buffer;
            try
            {
                while (parser.TryRead(ref buffer, out _))
                {
                }

                pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
            }
            catch (StreamErrorException e)
            {
                error = e;
            }
        }

        error.Should().NotBeNull();
        error!.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
        error.Text.Should().Be("stanza exceeds 262144 bytes");
        sent.Should().BeLessThanOrEqualTo(XmlLimits.Default.MaxStanzaBytes + chunk.Length);
    }

    [Fact]
    public void TryRead_EndlessAttributeTrickledByteByByte_ScansLinearly()
    {
        // One byte more per read, as from a trickling peer. Rescanning the whole pending token on every read would visit
        // ~2 * 10^12 bytes here (minutes even with vectorised search); resuming where the last scan stopped visits 2 * 10^6.
        var limits = new XmlLimits { MaxStanzaBytes = 2 * 1024 * 1024 };
        var parser = new XmlStreamParser(limits);
        var buffer = new ReadOnlySequence<byte>(Utf8(ShortHeader + "<message to='"));
        parser.TryRead(ref buffer, out _).Should().BeTrue();
        parser.TryRead(ref buffer, out _).Should().BeFalse();
        var pending = buffer.ToArray();
        var data = new byte[limits.MaxStanzaBytes + 1];
        pending.CopyTo(data, 0);
        data.AsSpan(pending.Length).Fill((byte)'a');

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        StreamErrorException? error = null;
        for (var length = pending.Length + 1; length <= data.Length && error is null; length++)
        {
            var seq = new ReadOnlySequence<byte>(data, 0, length);
            try
            {
                if (parser.TryRead(ref seq, out _) || seq.Length != length)
                {
                    Assert.Fail("an incomplete token must be left entirely unconsumed");
                }
            }
            catch (StreamErrorException e)
            {
                error = e;
            }

            if ((length & 0xFFFF) == 0 && stopwatch.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail($"scanning is not linear: only {length} bytes after {stopwatch.Elapsed}");
            }
        }

        error.Should().NotBeNull();
        error!.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
        error.Text.Should().Be("stanza exceeds 2097152 bytes");
    }

    [Fact]
    public void TryRead_EndlessTextThroughPipe_ThrowsPolicyViolation()
    {
        var parser = new XmlStreamParser(new XmlLimits { MaxStanzaBytes = 1000 });
        var events = new List<XmlStreamEvent>();
        var input = Utf8(ShortHeader + "<message><body>" + new string('x', 2000));

        var act = () => InArrivals(parser, input, Enumerable.Repeat(100, 100), events, trailingDataAllowed: true);

        act.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.PolicyViolation);
    }

    [Fact]
    public void TryRead_LongTextInSmallArrivals_IsConsumedIncrementally()
    {
        // Text is decoded as it arrives: the pipe never has to hold more than a possibly incomplete reference.
        var parser = new XmlStreamParser();
        Whole(parser, Utf8(Header + "<message><body>"));
        var text = Utf8(new string('x', 1000) + "&amp");
        var buffer = new ReadOnlySequence<byte>(text);

        parser.TryRead(ref buffer, out _).Should().BeFalse();

        Encoding.UTF8.GetString(buffer.ToArray()).Should().Be("&amp");
    }

    // ---- ElementWriter round trip ----

    [Fact]
    public void TryRead_PrefixedAttributeDeclaredOnStream_WrittenAloneStaysWellFormed()
    {
        // The prefix is bound on the sender's stream header; the stanza alone, as routed to another client or stored,
        // must carry the declaration itself or the recipient's parser rejects it.
        var header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:e='urn:example:e'>";
        var stanza = Whole(new XmlStreamParser(), Utf8(header + "<message e:flag='1'><body e:x='2'>hi</body></message>"))[1].Element!;

        var written = ElementWriter.ToXmlString(stanza);
        var reparsed = InStream(written)[1].Element!;

        reparsed.GetAttribute("e:flag").Should().Be("1");
        reparsed.GetAttribute("xmlns:e").Should().Be("urn:example:e");
        reparsed.Child("body", Ns.Client)!.GetAttribute("e:x").Should().Be("2");
    }


    [Fact]
    public void ElementWriter_RoundTrip_ParsesBackEqual()
    {
        var message = new Element("message", Ns.Client)
            .SetAttribute("to", "juliet@example.com")
            .SetAttribute("id", "a<b&c>d'e\"f\tg\nh\ri")
            .SetAttribute("xml:lang", "en");
        message.AddChild("body").AddText("1 < 2 && 3 > 2 ]]> 'quoted' \"double\" \U0001F600 line\r\nbreak\rcr\ttab");
        var x = message.AddChild("x", "jabber:x:data").SetAttribute("type", "form");
        x.AddChild("field").SetAttribute("var", "<&>").AddChild("value").AddText("v");
        x.AddChild("other", "urn:other").AddText("deep");
        message.AddChild("error", Ns.Streams).AddText("stream-namespaced");

        var output = new ArrayBufferWriter<byte>();
        ElementWriter.WriteStreamHeader(output, Ns.Client, "example.com", null, "s1");
        ElementWriter.Write(message, output, Ns.Client);
        ElementWriter.WriteStreamFooter(output);
        var written = output.WrittenSpan.ToArray();

        var parser = new XmlStreamParser();
        var events = Whole(parser, written);

        events.Select(e => e.Kind).Should().Equal(XmlStreamEventKind.StreamOpen, XmlStreamEventKind.Element, XmlStreamEventKind.StreamClose);
        Dump(events[1].Element!).Should().Be(Dump(message));
        events[0].Element!.GetAttribute("id").Should().Be("s1");

        // Parse, write, parse again: stable.
        var again = new ArrayBufferWriter<byte>();
        ElementWriter.WriteStreamHeader(again, Ns.Client, null, null, null);
        ElementWriter.Write(events[1].Element!, again, parser.ContentNamespace!);
        var reparsed = ByteByByte(new XmlStreamParser(), again.WrittenSpan.ToArray());
        Dump(reparsed[1].Element!).Should().Be(Dump(message));
    }

    // ---- robustness ----

    [Fact]
    public void TryRead_RandomMutations_OnlyStreamErrorsAndSameOutcomeWholeOrSplit()
    {
        var original = Utf8(ClientStream);
        var random = new Random(7);
        for (var iteration = 0; iteration < 400; iteration++)
        {
            var input = Mutate(original, random);
            var whole = Outcome(events => Whole(new XmlStreamParser(), input, events));
            var split = Outcome(events => InArrivals(new XmlStreamParser(), input, Enumerable.Repeat(0, input.Length).Select(_ => random.Next(1, 5)), events, trailingDataAllowed: true));
            var segments = Outcome(events => RandomSegments(new XmlStreamParser(), input, iteration, events, trailingDataAllowed: true));

            split.Error.Should().Be(whole.Error, Encoding.UTF8.GetString(input));
            split.Events.Should().Equal(whole.Events);
            segments.Error.Should().Be(whole.Error);
            segments.Events.Should().Equal(whole.Events);
        }
    }

    [Fact]
    public void TryRead_BetweenStanzas_HoldsNoWorkingArrays()
    {
        // Issue #6: an idle connection's parser keeps its working arrays only while a stanza is open.
        var parser = new XmlStreamParser();
        parser.HoldsWorkingArrays.Should().BeFalse();
        var events = new List<XmlStreamEvent>();
        Whole(parser, Utf8(Header), events);
        parser.HoldsWorkingArrays.Should().BeFalse("the header's scope is kept apart from the pooled arrays");

        Whole(parser, Utf8("<message to='a@b'><body>half"), events);
        parser.HoldsWorkingArrays.Should().BeTrue("a stanza is open");
        Whole(parser, Utf8(" done</body></message><presence/>"), events);
        parser.HoldsWorkingArrays.Should().BeFalse();

        Dumps(events).Should().Equal(
            "open {http://etherx.jabber.org/streams}stream[to=\"example.com\";version=\"1.0\";]()",
            "{jabber:client}message[to=\"a@b\";]({jabber:client}body[](text:\"half done\",),)",
            "{jabber:client}presence[]()");
    }

    [Fact]
    public void TryRead_ManyParsersInterleavedByteByByte_EachGetsItsOwnEvents()
    {
        // The working arrays are pooled: parsers that are all inside a stanza at once, and that finish in another order
        // than they started, must never see each other's frames, names, declarations or text.
        var expected = Dumps(Whole(new XmlStreamParser(), Utf8(ClientStream)));
        var inputs = Enumerable.Range(0, 40).Select(i => Utf8(ClientStream)).ToArray();
        var parsers = inputs.Select(_ => new XmlStreamParser()).ToArray();
        var pending = inputs.Select(_ => new List<byte[]>()).ToArray();
        var offsets = new int[inputs.Length];
        var events = inputs.Select(_ => new List<XmlStreamEvent>()).ToArray();
        var random = new Random(6);
        while (offsets.Where((o, i) => o < inputs[i].Length).Any())
        {
            var i = random.Next(inputs.Length);
            if (offsets[i] == inputs[i].Length)
            {
                continue;
            }

            var size = Math.Min(random.Next(1, 8), inputs[i].Length - offsets[i]);
            pending[i].Add(inputs[i].AsSpan(offsets[i], size).ToArray());
            offsets[i] += size;
            var buffer = Build(pending[i]);
            while (parsers[i].TryRead(ref buffer, out var ev))
            {
                events[i].Add(ev);
            }

            var rest = buffer.ToArray();
            pending[i].Clear();
            if (rest.Length > 0)
            {
                pending[i].Add(rest);
            }
        }

        foreach (var e in events)
        {
            Dumps(e).Should().Equal(expected);
        }
    }

    [Fact]
    public async Task TryRead_ParsersOnManyThreads_EachGetsItsOwnEvents()
    {
        var expected = Dumps(Whole(new XmlStreamParser(), Utf8(ClientStream)));
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(seed => Task.Run(async () =>
        {
            var outcome = new List<List<string>>();
            for (var round = 0; round < 20; round++)
            {
                // Arrivals of random sizes with a yield between them: a stanza often ends on another thread than it began.
                var parser = new XmlStreamParser();
                var input = Utf8(ClientStream);
                var random = new Random(seed * 100 + round);
                var pending = new List<byte[]>();
                var events = new List<XmlStreamEvent>();
                for (var offset = 0; offset < input.Length;)
                {
                    var size = Math.Min(random.Next(1, 40), input.Length - offset);
                    pending.Add(input.AsSpan(offset, size).ToArray());
                    offset += size;
                    var buffer = Build(pending);
                    while (parser.TryRead(ref buffer, out var ev))
                    {
                        events.Add(ev);
                    }

                    var rest = buffer.ToArray();
                    pending.Clear();
                    if (rest.Length > 0)
                    {
                        pending.Add(rest);
                    }

                    await Task.Yield();
                }

                outcome.Add(Dumps(events));
            }

            return outcome;
        })));

        foreach (var events in results.SelectMany(r => r))
        {
            events.Should().Equal(expected);
        }
    }

    [Fact]
    public void Reset_InsideAStanza_GivesBackCleanArrays()
    {
        var parser = new XmlStreamParser();
        Whole(parser, Utf8(Header + "<message to='x@y'><x:x xmlns:x='jabber:x:data'><body>stale"));
        parser.HoldsWorkingArrays.Should().BeTrue();
        parser.Reset();
        parser.HoldsWorkingArrays.Should().BeFalse();

        // The next parser on this thread takes the arrays just given back: nothing of the cut stanza may show.
        var other = new XmlStreamParser();
        Dumps(Whole(other, Utf8(Header + "<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>"))).Should().Equal(
            "open {http://etherx.jabber.org/streams}stream[to=\"example.com\";version=\"1.0\";]()",
            "{jabber:client}iq[type=\"get\";id=\"1\";]({jabber:iq:roster}query[](),)");
        var undeclared = () => Whole(other, Utf8("<x:x/>"));
        undeclared.Should().Throw<StreamErrorException>().Which.Condition.Should().Be(StreamErrorCondition.BadNamespacePrefix);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var edits = random.Next(1, 4);
        byte[] interesting = [(byte)'<', (byte)'>', (byte)'&', (byte)'\'', (byte)'"', (byte)';', (byte)'/', (byte)']', (byte)':', (byte)'\r', 0x00, 0xC3, 0xE2, 0xF0, 0x80, (byte)'!', (byte)'?', (byte)'#'];
        for (var i = 0; i < edits; i++)
        {
            var at = random.Next(bytes.Count);
            var value = random.Next(3) == 0 ? (byte)random.Next(256) : interesting[random.Next(interesting.Length)];
            switch (random.Next(3))
            {
                case 0:
                    bytes[at] = value;
                    break;
                case 1:
                    bytes.Insert(at, value);
                    break;
                default:
                    bytes.RemoveAt(at);
                    break;
            }
        }

        return [.. bytes];
    }
}
