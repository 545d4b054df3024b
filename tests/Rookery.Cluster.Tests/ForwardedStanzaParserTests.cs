using System.Text;
using Rookery.Cluster.Links;
using Rookery.Protocol.Xml;

namespace Rookery.Cluster.Tests;

public sealed class ForwardedStanzaParserTests
{
    private static ReadOnlyMemory<byte> Utf8(string xml) => Encoding.UTF8.GetBytes(xml);

    [Fact]
    public void Parse_ManyStanzasOnOneParser_EachComesBackAsSerialised()
    {
        var parser = new ForwardedStanzaParser();
        for (var i = 0; i < 50; i++)
        {
            var xml = $"<message from='a@x/r' to='b@x/s' type='chat' id='m{i}'><body>n\u00e9 {i} &amp; &lt;ok&gt;</body></message>";

            var element = parser.Parse(Utf8(xml));

            element.Name.Should().Be("message");
            element.GetAttribute("id").Should().Be("m" + i);
            element.GetAttribute("from").Should().Be("a@x/r");
            element.ChildText("body", Ns.Client).Should().Be($"n\u00e9 {i} & <ok>");
            // Written from the kept bytes, the stamped 'from' moves to the end of the start tag: compare what it means.
            var written = Rookery.Server.Util.StoredStanza.Parse(ElementWriter.ToXmlString(element));
            foreach (var name in new[] { "from", "to", "type", "id" })
            {
                written.GetAttribute(name).Should().Be(element.GetAttribute(name), name);
            }

            written.ChildText("body", Ns.Client).Should().Be(element.ChildText("body", Ns.Client));
        }
    }

    [Theory]
    [InlineData("<message to='b@x'><body>cut")]
    [InlineData("<message to='b@x'/><message to='c@x'/>")]
    [InlineData("<message to='b@x'></iq>")]
    public void Parse_NotExactlyOneElement_IsAFormatError_AndTheNextStanzaStillParses(string bad)
    {
        var parser = new ForwardedStanzaParser();

        var act = () => parser.Parse(Utf8(bad));

        act.Should().Throw<FormatException>();
        parser.Parse(Utf8("<iq type='get' id='1' to='b@x/s'/>")).GetAttribute("id").Should().Be("1");
    }
}
