using Rookery.TestKit;

namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// HTTP File Upload with a real third-party client: interop/slixmpp_upload.py has slixmpp's XEP-0363 plugin find the
/// upload service, upload a file over the node's HTTP listener, fetch it back, and be refused a slot over the limit.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppUploadInteropTests
{
    [SlixmppFact(NeedsAiohttp = true)]
    public async Task SlixmppClient_UploadAndDownload_EveryStepPasses()
    {
        Assert.True(InteropScript.MissingAiohttp is null, InteropScript.MissingAiohttp);
        var (exitCode, output) = await SlixmppInteropTests.RunAgainstFreshServerAsync("slixmpp_upload.py", users: 2);

        exitCode.Should().Be(0, "every upload interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("PASS [upload] GET URL serves the same bytes and type").And.Contain("ALL PASSED");
    }
}
