namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// Bookmarks conversion with a real third-party client: interop/slixmpp_bookmarks.py has a slixmpp client on private
/// storage bookmarks (XEP-0048/XEP-0049) and one on XEP-0402 items of the same account see each other's rooms.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppBookmarksInteropTests
{
    [SlixmppFact]
    public async Task SlixmppClients_PrivateAndNativeBookmarks_EveryStepPasses()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await SlixmppInteropTests.RunAgainstFreshServerAsync("slixmpp_bookmarks.py", users: 2);

        exitCode.Should().Be(0, "every bookmarks interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }
}
