using Microsoft.Extensions.Options;
using Rookery.Modules.PrivateStorage;
using Rookery.Protocol.Errors;

namespace Rookery.Modules.Tests;

public sealed class PrivateStorageModuleTests : SqliteTestBase
{
    private const string Alice = "alice@example.org";
    private const string From = Alice + "/r";

    [Fact]
    public async Task Set_NewElementBeyondMaxItems_NotAcceptableButReplacingStillWorks()
    {
        var harness = Create(new PrivateStorageOptions { MaxItems = 2 });
        await harness.SetAsync(From, Alice, Query("<a xmlns='urn:1'>1</a>"));
        await harness.SetAsync(From, Alice, Query("<a xmlns='urn:2'>2</a>"));

        var third = () => harness.SetAsync(From, Alice, Query("<a xmlns='urn:3'>3</a>"));

        (await third.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.NotAcceptable);
        await harness.SetAsync(From, Alice, Query("<a xmlns='urn:2'>two</a>"));
        (await harness.GetAsync(From, Alice, Query("<a xmlns='urn:2'/>")))!.ToString().Should().Be("<query xmlns='jabber:iq:private'><a xmlns='urn:2'>two</a></query>");
        // Clearing one frees its place.
        await harness.SetAsync(From, Alice, Query("<a xmlns='urn:1'/>"));
        await harness.SetAsync(From, Alice, Query("<a xmlns='urn:3'>3</a>"));
    }

    [Fact]
    public async Task Set_LargerThanMaxBytes_NotAcceptable()
    {
        var harness = Create(new PrivateStorageOptions { MaxBytes = 1024 });

        var act = () => harness.SetAsync(From, Alice, Query($"<a xmlns='urn:1'>{new string('x', 1024)}</a>"));

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.NotAcceptable);
        (await Storage.UserData.GetAsync(Alice, "private", "{urn:1}a")).Should().BeNull();
    }

    [Fact]
    public async Task Set_PrefixedAttribute_StoredAndReadBackIntact()
    {
        var harness = Create(new PrivateStorageOptions());

        await harness.SetAsync(From, Alice, Query("<p xmlns='test:p' xmlns:e='urn:e' e:flag='1'/>"));

        var p = (await harness.GetAsync(From, Alice, Query("<p xmlns='test:p'/>")))!.Child("p", "test:p")!;
        p.GetAttribute("e:flag").Should().Be("1");
        p.GetAttribute("xmlns:e").Should().Be("urn:e");
    }

    [Fact]
    public async Task Set_TwoElements_BadRequestAndNothingStored()
    {
        var harness = Create(new PrivateStorageOptions());

        var act = () => harness.SetAsync(From, Alice, Query("<a xmlns='urn:1'>1</a><b xmlns='urn:1'>2</b>"));

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.BadRequest);
        (await Storage.UserData.GetAsync(Alice, "private", "{urn:1}a")).Should().BeNull();
    }

    [Fact]
    public async Task StoredUnderClarkKey()
    {
        var harness = Create(new PrivateStorageOptions());

        await harness.SetAsync(From, Alice, Query("<storage xmlns='storage:bookmarks'><conference jid='r@c.example'/></storage>"));

        (await Storage.UserData.GetAsync(Alice, "private", "{storage:bookmarks}storage"))
            .Should().Be("<storage xmlns='storage:bookmarks'><conference jid='r@c.example'/></storage>");
    }

    [Theory]
    [InlineData("jabber:client", true)]
    [InlineData("jabber:iq:private", true)]
    [InlineData("jabber:x:data", true)]
    [InlineData("vcard-temp", true)]
    [InlineData("", true)]
    [InlineData("storage:bookmarks", false)]
    [InlineData("exodus:prefs", false)]
    [InlineData("urn:xmpp:jabber:x", false)]
    public void IsReserved(string ns, bool reserved)
    {
        PrivateStorageModule.IsReserved(ns).Should().Be(reserved);
    }

    [Fact]
    public void Options_OutOfRange_Rejected()
    {
        new PrivateStorageOptions { MaxBytes = 100, MaxItems = 0 }.Validate().Select(p => p.Key).Should().Equal("MaxBytes", "MaxItems");
        new PrivateStorageOptions().Validate().Should().BeEmpty();
    }

    private ModuleHarness Create(PrivateStorageOptions options) =>
        ModuleHarness.For(new PrivateStorageModule(Storage.UserData, Options.Create(options)));

    private static string Query(string inner) => $"<query xmlns='jabber:iq:private'>{inner}</query>";
}
