using Microsoft.Extensions.Options;
using Rookery.Modules.Disco;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Tests;

public sealed class DiscoModuleTests
{
    [Fact]
    public async Task Info_Host_FeaturesOfThatHostSortedWithoutDuplicates()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions())));
        harness.EnabledFeatures = domain => domain == "a.example"
            ? ["urn:z", "http://jabber.org/protocol/disco#info", "urn:a", "urn:z"]
            : ["urn:other"];

        var query = await harness.GetAsync("alice@a.example/r", "a.example", "<query xmlns='http://jabber.org/protocol/disco#info'/>");

        query!.ToString().Should().Be(
            "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im' name='Rookery'/>" +
            "<feature var='http://jabber.org/protocol/disco#info'/><feature var='urn:a'/><feature var='urn:z'/></query>");
    }

    [Fact]
    public void Configure_DeclaresInfoAndItems()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions())));

        harness.Features.Should().Equal(DiscoModule.InfoNamespace, DiscoModule.ItemsNamespace);
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
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(options)));

        var query = await harness.GetAsync("bob@example.org/r", "alice@example.org", "<query xmlns='http://jabber.org/protocol/disco#info'/>");

        query!.ToString().Should().Be(
            "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/>" +
            "<feature var='http://jabber.org/protocol/disco#info'/></query>");
    }

    [Fact]
    public async Task Items_Account_ListsWhatTheModulesProvide()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions())));
        harness.AccountItems.Add((account, requester, _) => ValueTask.FromResult<IReadOnlyList<Element>>(
            [new Element("item", DiscoModule.ItemsNamespace).SetAttribute("jid", account.ToString()).SetAttribute("name", requester.ToString())]));

        var query = await harness.GetAsync("bob@example.org/r", "alice@example.org", "<query xmlns='http://jabber.org/protocol/disco#items'/>");

        query!.ToString().Should().Be(
            "<query xmlns='http://jabber.org/protocol/disco#items'><item jid='alice@example.org' name='bob@example.org/r'/></query>");
    }

    [Fact]
    public async Task Info_Account_IncludesAccountIdentitiesOfModules()
    {
        var harness = ModuleHarness.For(new DiscoModule(Options.Create(new DiscoOptions())));
        harness.AccountIdentities.Add(("pubsub", "pep"));

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
}
