using Rookery.Integration.Tests.Proxy65;

namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// SOCKS5 Bytestreams through the proxy with a real third-party client: interop/slixmpp_proxy65.py has two slixmpp
/// clients, each with slixmpp's own XEP-0065 plugin, discover the proxy, negotiate and activate a mediated stream, and
/// transfer bytes both ways through the node's SOCKS5 listener.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppProxy65InteropTests
{
    [SlixmppFact]
    public async Task SlixmppClients_TransferThroughTheProxy_EveryStepPasses()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await SlixmppInteropTests.RunAgainstFreshServerAsync("slixmpp_proxy65.py", users: 2, () => Proxy65Tests.StartAsync());

        exitCode.Should().Be(0, "every proxy65 interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("PASS [proxy65] 1 MiB from requester to target").And.Contain("ALL PASSED");
    }
}
