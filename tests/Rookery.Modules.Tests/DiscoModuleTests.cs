using Microsoft.Extensions.Options;
using Rookery.Modules.Disco;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Tests;

public sealed class DiscoModuleTests : SqliteTestBase
{
    [Fact]
    public async Task Info_Host_FeaturesOfThatHostSortedWithoutDuplicates()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        harness.EnabledFeatures = domain => domain == "a.example"
            ? ["urn:z", "http://jabber.org/protocol/disco#info", "urn:a", "urn:z"]
            : ["urn:other"];

        var query = await harness.GetAsync("alice@a.example/r", "a.example", "<query xmlns='http://jabber.org/protocol/disco#info'/>");

        query!.ToString().Should().Be(
            "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im' name='Rookery'/>" +
            "<feature var='http://jabber.org/protocol/disco#info'/><feature var='urn:a'/><feature var='urn:z'/></query>");
    }

    [Fact]
    public void Configure_DeclaresInfoItemsAndCaps()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));

        // XEP-0115: the host that announces caps in its stream features lists the caps feature.
        harness.Features.Should().Equal(DiscoModule.InfoNamespace, DiscoModule.ItemsNamespace, "http://jabber.org/protocol/caps");
    }

    [Fact]
    public void ServerInfo_NoAddresses_NoForm()
    {
        DiscoModule.BuildServerInfo(new ContactAddressesOptions()).Should().BeNull();
    }

    [Fact]
    public void ServerInfo_EveryList_FieldsInRegistryOrderSkippingEmptyOnes()
    {
        var addresses = new ContactAddressesOptions
        {
            Support = ["https://example.org/help"],
            Abuse = ["mailto:abuse@example.org"],
            Security = ["xmpp:security@example.org", "mailto:security@example.org"],
        };

        var form = DiscoModule.BuildServerInfo(addresses)!;

        form.ToString().Should().Be(
            "<x xmlns='jabber:x:data' type='result'>" +
            "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/network/serverinfo</value></field>" +
            "<field var='abuse-addresses' type='list-multi'><value>mailto:abuse@example.org</value></field>" +
            "<field var='security-addresses' type='list-multi'><value>xmpp:security@example.org</value><value>mailto:security@example.org</value></field>" +
            "<field var='support-addresses' type='list-multi'><value>https://example.org/help</value></field></x>");
    }

    [Fact]
    public async Task Info_Account_AccountIdentityWithoutServerForm()
    {
        var options = new DiscoOptions { ContactAddresses = new ContactAddressesOptions { Admin = ["xmpp:admin@example.org"] } };
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(options), Storage.Rosters));

        await AliceSharesPresenceWithBobAsync();

        var query = await harness.GetAsync("bob@example.org/r", "alice@example.org", "<query xmlns='http://jabber.org/protocol/disco#info'/>");

        query!.ToString().Should().Be(
            "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/>" +
            "<feature var='http://jabber.org/protocol/disco#info'/></query>");
    }

    [Fact]
    public async Task Items_Account_ListsWhatTheModulesProvide()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        harness.AccountItems.Add((account, requester, _) => ValueTask.FromResult<IReadOnlyList<Element>>(
            [new Element("item", DiscoModule.ItemsNamespace).SetAttribute("jid", account.ToString()).SetAttribute("name", requester.ToString())]));

        await AliceSharesPresenceWithBobAsync();

        var query = await harness.GetAsync("bob@example.org/r", "alice@example.org", "<query xmlns='http://jabber.org/protocol/disco#items'/>");

        query!.ToString().Should().Be(
            "<query xmlns='http://jabber.org/protocol/disco#items'><item jid='alice@example.org' name='bob@example.org/r'/></query>");
    }

    [Fact]
    public async Task Info_Account_IncludesAccountIdentitiesOfModules()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        harness.AccountIdentities.Add(("pubsub", "pep"));

        await AliceSharesPresenceWithBobAsync();

        var query = await harness.GetAsync("bob@example.org/r", "alice@example.org", "<query xmlns='http://jabber.org/protocol/disco#info'/>");

        query!.ToString().Should().Be(
            "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/>" +
            "<identity category='pubsub' type='pep'/><feature var='http://jabber.org/protocol/disco#info'/></query>");
    }

    [Theory]
    [InlineData("mailto:abuse@example.org")]
    [InlineData("xmpp:admin@example.org?message")]
    [InlineData("https://example.org/support")]
    [InlineData("tel:+1-201-555-0123")]
    public void Validate_Uri_Accepted(string address)
    {
        var options = new DiscoOptions { ContactAddresses = new ContactAddressesOptions { Abuse = [address] } };

        options.Validate().Should().BeEmpty();
    }

    [Theory]
    [InlineData("abuse@example.org")]
    [InlineData("/var/mail/abuse")]
    [InlineData("")]
    [InlineData(" mailto:abuse@example.org")]
    [InlineData("mailto:")]
    [InlineData("1http://example.org")]
    public void Validate_NotAUri_NamesTheEntry(string address)
    {
        var options = new DiscoOptions
        {
            ContactAddresses = new ContactAddressesOptions { Admin = ["xmpp:admin@example.org"], Support = ["https://example.org", address] },
        };

        options.Validate().Select(p => p.Key).Should().Equal("ContactAddresses:Support:1");
    }

    [Theory]
    [InlineData("<query xmlns='http://jabber.org/protocol/disco#info'/>")]
    [InlineData("<query xmlns='http://jabber.org/protocol/disco#info' node='urn:example:node'/>")]
    public async Task Info_AccountNotSharingPresence_ServiceUnavailable(string request)
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        // Bob shares his presence with Alice, not she hers with him: a 'to' subscription from her side.
        await Storage.Rosters.SetItemAsync("alice@example.org", new RosterItem("bob@example.org", null, Subscription.To, false, []));

        var act = () => harness.GetAsync("bob@example.org/r", "alice@example.org", request);

        // XEP-0030 §8: the same answer as for an account that does not exist.
        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task Items_AccountNotSharingPresence_EmptyResult()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        harness.AccountItems.Add((account, _, _) => ValueTask.FromResult<IReadOnlyList<Element>>(
            [new Element("item", DiscoModule.ItemsNamespace).SetAttribute("jid", account.ToString()).SetAttribute("node", "urn:open")]));

        var stranger = await harness.GetAsync("bob@example.org/r", "alice@example.org", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
        var own = await harness.GetAsync("alice@example.org/r", "alice@example.org", "<query xmlns='http://jabber.org/protocol/disco#items'/>");

        stranger!.ToString().Should().Be("<query xmlns='http://jabber.org/protocol/disco#items'/>");
        own!.Elements().Should().ContainSingle();
    }

    [Theory]
    [InlineData("<query xmlns='http://jabber.org/protocol/disco#items'/>", "<query xmlns='http://jabber.org/protocol/disco#items'/>")]
    [InlineData("<query xmlns='http://jabber.org/protocol/disco#items' node='n1'/>", "<query xmlns='http://jabber.org/protocol/disco#items' node='n1'/>")]
    public async Task Items_AccountThatDoesNotExist_EmptyResultMirroringTheNode(string request, string expected)
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        harness.AccountsExist = false;

        var query = await harness.GetAsync("bob@example.org/r", "nobody@example.org", request);

        query!.ToString().Should().Be(expected);
    }

    [Fact]
    public async Task Info_AccountThatDoesNotExist_NotHandled()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions()), Storage.Rosters));
        harness.AccountsExist = false;

        var act = () => harness.GetAsync("bob@example.org/r", "nobody@example.org", "<query xmlns='http://jabber.org/protocol/disco#info'/>");

        // Left to the registry's service-unavailable (XEP-0030 §8), like every iq to an account that does not exist.
        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.ServiceUnavailable);
    }

    /// <summary>Alice's roster gives Bob a 'from' subscription: he may see her presence (XEP-0030 §8).</summary>
    private Task<long> AliceSharesPresenceWithBobAsync() =>
        Storage.Rosters.SetItemAsync("alice@example.org", new RosterItem("bob@example.org", null, Subscription.From, false, []));
}
