using System.Globalization;
using Rookery.TestKit;

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
        var script = Path.Combine(AppContext.BaseDirectory, "interop", "slixmpp_pep.py");
        File.Exists(script).Should().BeTrue("the test project copies interop/*.py next to the assembly ({0})", script);
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice", "alice-pass-1");
        await server.CreateUserAsync("bob", "bob-pass-2");

        var (exitCode, output) = await SlixmppInteropTests.RunAsync(script,
        [
            "--host", "127.0.0.1", "--port", server.Port.ToString(CultureInfo.InvariantCulture),
            "--domain", server.Domain,
            "--user1", "alice", "--pass1", "alice-pass-1",
            "--user2", "bob", "--pass2", "bob-pass-2",
        ]);

        exitCode.Should().Be(0, "every PEP interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }
}
