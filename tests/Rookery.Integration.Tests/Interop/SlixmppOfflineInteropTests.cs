namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// Flexible offline message retrieval with a real third-party client: interop/slixmpp_offline.py drives slixmpp's
/// xep_0013 plugin through count, headers, view, remove, no flood at initial presence, fetch and purge (XEP-0013).
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppOfflineInteropTests
{
    [SlixmppFact]
    public async Task SlixmppClient_FlexibleOfflineRetrieval_EveryStepPasses()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await SlixmppInteropTests.RunAgainstFreshServerAsync("slixmpp_offline.py", users: 2);

        exitCode.Should().Be(0, "every XEP-0013 interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }
}
