using Rookery.Modules.Blocking;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Tests;

/// <summary>Parsing of XEP-0377 reports inside block command items.</summary>
public sealed class BlockReportTests
{
    [Fact]
    public void ParseAll_ReportWithTextStanzaIdsAndOptIns_ReadsEverything()
    {
        var block = new Element("block", BlockingModule.Namespace);
        var report = block.AddChild("item", BlockingModule.Namespace).SetAttribute("jid", "Spam@Example.NET")
            .AddChild("report", BlockReport.Namespace).SetAttribute("reason", BlockReport.Spam);
        report.AddChild("stanza-id", "urn:xmpp:sid:0").SetAttribute("by", "alice@localhost").SetAttribute("id", "a1");
        report.AddChild("text", BlockReport.Namespace).AddText("  cheap watches ");
        report.AddChild("report-origin", BlockReport.Namespace);
        block.AddChild("item", BlockingModule.Namespace).SetAttribute("jid", "plain@example.net");

        var reports = BlockReport.ParseAll(block);

        reports.Should().ContainSingle();
        reports[0].Reported.Should().Be(Jid.Parse("spam@example.net"));
        reports[0].Reason.Should().Be(BlockReport.Spam);
        reports[0].StanzaIds.Should().Equal("alice@localhost#a1");
        reports[0].Texts.Should().Equal("cheap watches");
        reports[0].OptIns.Should().Equal("report-origin");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("urn:xmpp:reporting:harassment")]
    [InlineData("spam")]
    public void ParseAll_UnknownOrMissingReason_BadRequest(string? reason)
    {
        var block = new Element("block", BlockingModule.Namespace);
        var report = block.AddChild("item", BlockingModule.Namespace).SetAttribute("jid", "bob@example.net")
            .AddChild("report", BlockReport.Namespace);
        if (reason is not null)
        {
            report.SetAttribute("reason", reason);
        }

        var act = () => BlockReport.ParseAll(block);

        act.Should().Throw<StanzaErrorException>().Which.Condition.Should().Be(StanzaErrorCondition.BadRequest);
    }

    [Fact]
    public void ParseAll_TwoReportsInOneItem_BadRequest()
    {
        var block = new Element("block", BlockingModule.Namespace);
        var item = block.AddChild("item", BlockingModule.Namespace).SetAttribute("jid", "bob@example.net");
        item.AddChild("report", BlockReport.Namespace).SetAttribute("reason", BlockReport.Spam);
        item.AddChild("report", BlockReport.Namespace).SetAttribute("reason", BlockReport.Abuse);

        var act = () => BlockReport.ParseAll(block);

        act.Should().Throw<StanzaErrorException>().Which.Condition.Should().Be(StanzaErrorCondition.BadRequest);
    }
}
