using System.Text;
using Rookery.Bench.Net;

namespace Rookery.Bench.Tests;

public sealed class XmlFramerTests
{
    private const string Stream =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='localhost' version='1.0'>" +
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
        " \n " +
        "<message from='a@localhost/r' to='b@localhost/r' type='chat' id=\"q&gt;1\" x='a>b'><body>12345</body></message>" +
        "<presence/>" +
        "<!-- note --><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>" +
        "<message><body><![CDATA[<not a tag>]]></body></message>" +
        "</stream:stream>";

    [Fact]
    public void TryRead_WholeStream_FindsEveryTopLevelConstruct()
    {
        Frames(Encoding.UTF8.GetBytes(Stream), chunk: int.MaxValue).Should().Equal(Expected());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void TryRead_StreamArrivingInPieces_FindsTheSameConstructs(int chunk)
    {
        Frames(Encoding.UTF8.GetBytes(Stream), chunk).Should().Equal(Expected());
    }

    [Fact]
    public void XmlSpan_ReadsNamesAttributesAndTexts()
    {
        var message = "<message from='a@localhost/r' to='b@localhost/r' type='chat' id=\"q&gt;1\" x='a>b'><body>12345</body></message>"u8;
        XmlSpan.IsNamed(message, "message"u8).Should().BeTrue();
        XmlSpan.TryGetAttribute(message, "type"u8, out var type).Should().BeTrue();
        Encoding.UTF8.GetString(type).Should().Be("chat");
        XmlSpan.Attribute(message, "id"u8).Should().Be("q>1");
        XmlSpan.Attribute(message, "x"u8).Should().Be("a>b");
        XmlSpan.Attribute(message, "missing"u8).Should().BeNull();
        XmlSpan.TryParseInt64(XmlSpan.TextAt(message, XmlSpan.FindDescendant(message, "body"u8)), out var stamp).Should().BeTrue();
        stamp.Should().Be(12345);

        var features = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>"u8;
        XmlSpan.IsNamed(features, "features"u8).Should().BeTrue();
        XmlSpan.DescendantTexts(features, "mechanism"u8).Should().Equal("SCRAM-SHA-1", "PLAIN");
        XmlSpan.HasDescendant(features, "starttls"u8).Should().BeFalse();

        var error = "<message type='error'><body>1</body><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text>x</text></error></message>"u8;
        XmlSpan.ErrorCondition(error).Should().Be("service-unavailable");
        XmlSpan.ErrorCondition("<stream:error><text>t</text><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"u8).Should().Be("conflict");
    }

    private static string[] Expected() =>
    [
        "StreamOpen:stream",
        "Element:features",
        "Element:message",
        "Element:presence",
        "Element:iq",
        "Element:message",
        "StreamClose:stream",
    ];

    /// <summary>Feeds the bytes <paramref name="chunk"/> at a time, as a connection's buffer would fill.</summary>
    private static List<string> Frames(byte[] bytes, int chunk)
    {
        var framer = new XmlFramer();
        var buffer = new List<byte>();
        var found = new List<string>();
        var fed = 0;
        while (true)
        {
            var span = buffer.ToArray().AsSpan();
            var kind = framer.TryRead(span, out var start, out var length, out var consumed);
            if (kind != FrameKind.None)
            {
                var frame = span.Slice(start, length);
                found.Add($"{kind}:{Encoding.UTF8.GetString(XmlSpan.LocalName(frame))}");
                if (kind == FrameKind.Element)
                {
                    frame[^1].Should().Be((byte)'>');
                }
            }

            buffer.RemoveRange(0, consumed);
            if (kind == FrameKind.None)
            {
                if (fed >= bytes.Length)
                {
                    break;
                }

                var n = Math.Min(chunk, bytes.Length - fed);
                buffer.AddRange(bytes.AsSpan(fed, n).ToArray());
                fed += n;
            }
        }

        return found;
    }
}
