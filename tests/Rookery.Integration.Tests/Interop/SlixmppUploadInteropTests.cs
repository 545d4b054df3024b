using System.Globalization;
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
        var script = Path.Combine(AppContext.BaseDirectory, "interop", "slixmpp_upload.py");
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

        exitCode.Should().Be(0, "every upload interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("PASS [upload] GET URL serves the same bytes and type").And.Contain("ALL PASSED");
    }
}
