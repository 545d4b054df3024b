namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// Personal eventing with a real third-party client: interop/slixmpp_pep.py has two slixmpp clients with caps (XEP-0115)
/// and PEP (XEP-0163) plugins publish a tune, receive its +notify notification, retrieve it and see its retraction.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppPepInteropTests
{
    [SlixmppFact]
    public async Task SlixmppClients_PepPublishAndNotification_EveryStepPasses()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await SlixmppInteropTests.RunAgainstFreshServerAsync("slixmpp_pep.py", users: 2);

        exitCode.Should().Be(0, "every PEP interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }
}
