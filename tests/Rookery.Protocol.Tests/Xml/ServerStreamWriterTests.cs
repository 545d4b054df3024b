using System.Buffers;
using System.Text;
using Rookery.Protocol.Xml;
using static Rookery.Protocol.Tests.Xml.XmlTestFeeder;

namespace Rookery.Protocol.Tests.Xml;

/// <summary>What a server-to-server stream writes: the header declaring the dialback prefix, and db:-prefixed dialback elements.</summary>
public sealed class ServerStreamWriterTests
{
    [Fact]
    public void WriteServerStreamHeader_DeclaresJabberServerAndTheDbPrefix()
    {
        var buffer = new ArrayBufferWriter<byte>();

        ElementWriter.WriteServerStreamHeader(buffer, "a.example", "b.example", "id1");

        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        text.Should().Contain("xmlns='jabber:server'").And.Contain("xmlns:db='jabber:server:dialback'")
            .And.Contain("from='a.example'").And.Contain("to='b.example'").And.Contain("id='id1'").And.Contain("version='1.0'");
    }

    [Fact]
    public void Write_DialbackElement_UsesTheDbPrefixAndParsesBackUnderTheHeader()
    {
        // XEP-0220's examples and every peer use db:result; ejabberd ignores an unprefixed <result xmlns='jabber:server:dialback'/>.
        var result = new Element("result", Ns.Dialback).SetAttribute("from", "a.example").SetAttribute("to", "b.example").AddText("k3y");

        var xml = ElementWriter.ToXmlString(result);

        xml.Should().Be("<db:result from='a.example' to='b.example'>k3y</db:result>");
        var header = new ArrayBufferWriter<byte>();
        ElementWriter.WriteServerStreamHeader(header, "b.example", "a.example", null);
        var parser = new XmlStreamParser();
        var events = Whole(parser, [.. header.WrittenSpan, .. Encoding.UTF8.GetBytes(xml)]);
        var parsed = events.Single(e => e.Kind == XmlStreamEventKind.Element).Element!;
        parsed.Name.Should().Be("result");
        parsed.Namespace.Should().Be(Ns.Dialback);
        parsed.Text.Should().Be("k3y");
    }
}
