using Rookery.TestKit;

namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// A real third-party client against the server: interop/slixmpp_interop.py (see interop/README.md) logs in two users
/// over STARTTLS + SCRAM, subscribes them to each other, exchanges messages and checks offline delivery; its step
/// groups in interop/steps_modern.py resume a stream-management session, copy carbons and page through MAM;
/// interop/slixmpp_muc_interop.py drives slixmpp's XEP-0045 client through rooms (join, history, groupchat, config
/// form, members-only refusal, kick).
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppInteropTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// One run per step group of the script (interop/slixmpp_interop.py and interop/steps_*.py), each on a fresh server,
    /// so that a failure names its group and step: "im" (foundation, issue #2), "sm", "carbons", "mam" (issue #3).
    /// </summary>
    [SlixmppTheory]
    [InlineData("im")]
    [InlineData("sm")]
    [InlineData("carbons")]
    [InlineData("mam")]
    public async Task SlixmppClient_StepGroup_EveryStepPasses(string group)
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await RunAgainstFreshServerAsync("slixmpp_interop.py", users: 2, "--groups", group);

        // The failing step's own line first, so the reason is the first thing a reader sees.
        var failures = output.Split('\n').Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)).ToList();
        failures.Should().BeEmpty("every step of group '{0}' must pass; the script said:\n{1}", group, output);
        exitCode.Should().Be(0, "the script said:\n{0}", output);
        output.Should().Contain($"PASS [{group}]").And.Contain("ALL PASSED");
    }

    [SlixmppFact]
    public async Task SlixmppClient_MucScenario_EveryStepPasses()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var (exitCode, output) = await RunAgainstFreshServerAsync("slixmpp_muc_interop.py", users: 3);

        exitCode.Should().Be(0, "every MUC interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }

    internal static Task<(int ExitCode, string Output)> RunAsync(string script, string[] args) =>
        InteropScript.RunAsync(script, args, RunTimeout);

    /// <summary>
    /// Runs <paramref name="scriptName"/> (copied next to the assembly) against a fresh server with the users the
    /// scripts know: alice, bob and, for three, carol, passed as --userN/--passN, then <paramref name="extra"/>.
    /// </summary>
    internal static Task<(int ExitCode, string Output)> RunAgainstFreshServerAsync(string scriptName, int users, params string[] extra) =>
        RunAgainstFreshServerAsync(scriptName, users, () => TestServer.StartAsync(), extra);

    /// <summary>As above, against a server that <paramref name="start"/> starts (with listeners the script needs).</summary>
    internal static async Task<(int ExitCode, string Output)> RunAgainstFreshServerAsync(string scriptName, int users, Func<Task<TestServer>> start, params string[] extra)
    {
        var script = InteropScript.PathOf(scriptName);
        File.Exists(script).Should().BeTrue("the test project copies interop/*.py next to the assembly ({0})", script);
        await using var server = await start();
        List<string> args = ["--host", "127.0.0.1", "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--domain", server.Domain];
        string[] names = ["alice", "bob", "carol"];
        for (var i = 1; i <= users; i++)
        {
            var password = $"{names[i - 1]}-pass-{i}";
            await server.CreateUserAsync(names[i - 1], password);
            args.AddRange([$"--user{i}", names[i - 1], $"--pass{i}", password]);
        }

        args.AddRange(extra);
        return await RunAsync(script, [.. args]);
    }
}
