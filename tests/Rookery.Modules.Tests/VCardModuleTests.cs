using Microsoft.Extensions.Options;
using Rookery.Modules.VCard;
using Rookery.Protocol.Errors;

namespace Rookery.Modules.Tests;

public sealed class VCardModuleTests : SqliteTestBase
{
    private const string Alice = "alice@example.org";

    [Fact]
    public async Task Set_ExactlyAtTheLimit_StoredAndOneByteMore_NotAcceptable()
    {
        var harness = ModuleHarness.For(new VCardModule(Storage.UserData, Options.Create(new VCardOptions { MaxBytes = 1024 })));
        const string shell = "<vCard xmlns='vcard-temp'><FN></FN></vCard>";
        var fits = $"<vCard xmlns='vcard-temp'><FN>{new string('x', 1024 - shell.Length)}</FN></vCard>";
        var tooBig = $"<vCard xmlns='vcard-temp'><FN>{new string('x', 1024 - shell.Length + 1)}</FN></vCard>";

        await harness.SetAsync(Alice + "/r", Alice, fits);
        var act = () => harness.SetAsync(Alice + "/r", Alice, tooBig);

        fits.Length.Should().Be(1024);
        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.NotAcceptable);
        (await harness.GetAsync("bob@example.org/r", Alice, "<vCard xmlns='vcard-temp'/>"))!.ToString().Should().Be(fits);
    }

    [Fact]
    public async Task Set_LimitCountsUtf8Bytes()
    {
        var harness = ModuleHarness.For(new VCardModule(Storage.UserData, Options.Create(new VCardOptions { MaxBytes = 1024 })));
        // 600 two-byte characters: about 640 characters fit under 1024, about 1240 bytes do not.
        var card = $"<vCard xmlns='vcard-temp'><FN>{new string('é', 600)}</FN></vCard>";

        var act = () => harness.SetAsync(Alice + "/r", Alice, card);

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.NotAcceptable);
    }

    [Fact]
    public async Task Set_PrefixedAttribute_StoredAndReadBackIntact()
    {
        var harness = ModuleHarness.For(new VCardModule(Storage.UserData, Options.Create(new VCardOptions())));

        await harness.SetAsync(Alice + "/r", Alice, "<vCard xmlns='vcard-temp' xmlns:e='urn:e'><FN e:x='1'>A</FN></vCard>");

        // The prefix's declaration travels with the element that uses it, so the stored vCard parses back.
        var vcard = (await harness.GetAsync("bob@example.org/r", Alice, "<vCard xmlns='vcard-temp'/>"))!;
        var fn = vcard.Child("FN", "vcard-temp")!;
        fn.GetAttribute("e:x").Should().Be("1");
        fn.GetAttribute("xmlns:e").Should().Be("urn:e");
    }

    [Fact]
    public void Options_TooSmall_Rejected()
    {
        new VCardOptions { MaxBytes = 1023 }.Validate().Select(p => p.Key).Should().Equal("MaxBytes");
        new VCardOptions().Validate().Should().BeEmpty();
    }
}
