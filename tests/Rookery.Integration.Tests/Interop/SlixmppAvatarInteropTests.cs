namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// Avatar conversion (XEP-0398) with real third-party clients: interop/slixmpp_avatar.py has a slixmpp client with the
/// XEP-0084 plugin and one with the XEP-0054/XEP-0153 plugins read each other's avatars and the avatar hash in presence.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppAvatarInteropTests
{
    [SlixmppFact]
    public async Task SlixmppClients_PepAndVCardAvatars_EveryStepPasses()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await SlixmppInteropTests.RunAgainstFreshServerAsync("slixmpp_avatar.py", users: 2);

        exitCode.Should().Be(0, "every avatar interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }
}
