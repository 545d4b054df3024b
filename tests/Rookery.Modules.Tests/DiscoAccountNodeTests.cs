using Microsoft.Extensions.Options;
using Rookery.Modules.Disco;
using Rookery.Protocol.Errors;

namespace Rookery.Modules.Tests;

/// <summary>Service discovery requests naming a node of an account's bare JID (XEP-0030 §3.2, §4.2; XEP-0013 §2.2).</summary>
public sealed class DiscoAccountNodeTests : SqliteTestBase
{
    [Theory]
    [InlineData(DiscoModule.InfoNamespace)]
    [InlineData(DiscoModule.ItemsNamespace)]
    public async Task AccountNode_AnsweredByTheModuleThatAddedIt(string ns)
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        string? seen = null;
        harness.AddAccountDiscoNode("urn:example:node", (iq, query) =>
        {
            seen = iq.To.ToString();
            query.AddChild("feature", DiscoModule.InfoNamespace).SetAttribute("var", "urn:example:answered");
            return ValueTask.CompletedTask;
        });

        var query = await harness.GetAsync("alice@a.example/r", "alice@a.example", $"<query xmlns='{ns}' node='urn:example:node'/>");

        seen.Should().Be("alice@a.example");
        query!.GetAttribute("node").Should().Be("urn:example:node");
        query.Namespace.Should().Be(ns);
    }

    [Fact]
    public async Task AccountNode_Unknown_ItemNotFound()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        // A host node is no account node.
        harness.AddDiscoNode("urn:example:host-node", (_, _) => ValueTask.CompletedTask);

        var act = () => harness.GetAsync("alice@a.example/r", "alice@a.example", "<query xmlns='http://jabber.org/protocol/disco#items' node='urn:example:host-node'/>");

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.ItemNotFound);
    }
}
