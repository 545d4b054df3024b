namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// The pubsub.&lt;host&gt; service with a real third-party client: interop/slixmpp_pubsub.py has two slixmpp clients with
/// its XEP-0060 plugin discover the service, create and configure a node, subscribe, publish, retrieve, change an
/// affiliation, retract and delete, with the notifications of each.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppPubsubInteropTests
{
    [SlixmppFact]
    public async Task SlixmppClients_PubsubServiceScenario_EveryStepPasses()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await SlixmppInteropTests.RunAgainstFreshServerAsync("slixmpp_pubsub.py", users: 2);

        exitCode.Should().Be(0, "every pubsub interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }
}
