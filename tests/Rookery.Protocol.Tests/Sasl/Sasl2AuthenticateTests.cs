using System.Buffers;
using System.Text;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class Sasl2AuthenticateTests
{
    private const string Sm = "urn:xmpp:sm:3";

    private static Element Parse(string xml)
    {
        var parser = new XmlStreamParser();
        var input = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" + xml));
        while (parser.TryRead(ref input, out var ev))
        {
            if (ev.Kind == XmlStreamEventKind.Element)
            {
                return ev.Element!;
            }
        }

        throw new InvalidOperationException("No element parsed");
    }

    [Fact]
    public void Parse_FullRequest_ReadsEveryPart()
    {
        var request = Sasl2Authenticate.Parse(Parse(
            "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-256'>"
            + "<initial-response>biwsbj11c2VyLHI9YWJj</initial-response>"
            + "<user-agent id='d4565fa7-4d72-4749-b3d3-740edbf87770'><software>AwesomeXMPP</software><device>Kiva's Phone</device></user-agent>"
            + "<bind xmlns='urn:xmpp:bind:0'><tag>AwesomeXMPP</tag><enable xmlns='urn:xmpp:carbons:2'/><enable xmlns='urn:xmpp:sm:3' resume='true'/><inactive xmlns='urn:xmpp:csi:0'/></bind>"
            + "<resume xmlns='urn:xmpp:sm:3' previd='abc' h='3'/>"
            + "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/><fast xmlns='urn:xmpp:fast:0' invalidate='true'/>"
            + "</authenticate>"), Sm);

        request.Mechanism.Should().Be("SCRAM-SHA-256");
        request.InitialResponse.Should().Be("biwsbj11c2VyLHI9YWJj");
        request.UserAgentId.Should().Be("d4565fa7-4d72-4749-b3d3-740edbf87770");
        request.Software.Should().Be("AwesomeXMPP");
        request.Device.Should().Be("Kiva's Phone");
        request.Resume!.GetAttribute("previd").Should().Be("abc");
        request.Bind!.Tag.Should().Be("AwesomeXMPP");
        request.Bind.Features.Select(f => (f.Name, f.Namespace)).Should().Equal(
            ("enable", "urn:xmpp:carbons:2"), ("enable", Sm), ("inactive", "urn:xmpp:csi:0"));
        request.Bind.Find("enable", Sm)!.GetAttribute("resume").Should().Be("true");
        request.Bind.Find("active", "urn:xmpp:csi:0").Should().BeNull();
        request.RequestToken.Should().Be("HT-SHA-256-NONE");
        request.InvalidateToken.Should().BeTrue();
    }

    [Fact]
    public void Parse_Minimal_NoInitialResponseNoInlineRequests()
    {
        var request = Sasl2Authenticate.Parse(Parse("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'/>"), Sm);

        request.InitialResponse.Should().BeEmpty();
        request.UserAgentId.Should().BeNull();
        request.Bind.Should().BeNull();
        request.Resume.Should().BeNull();
        request.RequestToken.Should().BeNull();
        request.InvalidateToken.Should().BeFalse();
    }

    [Fact]
    public void Parse_ResumeInAnotherNamespace_Ignored()
    {
        var request = Sasl2Authenticate.Parse(Parse("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><resume xmlns='urn:xmpp:sm:2' previd='a' h='0'/></authenticate>"), Sm);

        request.Resume.Should().BeNull();
    }

    [Fact]
    public void Parse_NoMechanism_InvalidMechanism()
    {
        var act = () => Sasl2Authenticate.Parse(Parse("<authenticate xmlns='urn:xmpp:sasl:2'/>"), Sm);

        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.InvalidMechanism);
    }

    [Theory]
    [InlineData("")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public void Parse_UnusableUserAgentId_MalformedRequest(string id)
    {
        var act = () => Sasl2Authenticate.Parse(Parse($"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><user-agent id='{id}'/></authenticate>"), Sm);

        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Fact]
    public void Bind2_EmptyTag_IsNoTag()
    {
        Bind2Request.Parse(Parse("<bind xmlns='urn:xmpp:bind:0'><tag>  </tag></bind>")).Tag.Should().BeNull();
    }
}
