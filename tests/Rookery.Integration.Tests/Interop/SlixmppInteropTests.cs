using System.Diagnostics;
using System.Text;
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
        var script = Path.Combine(AppContext.BaseDirectory, "interop", "slixmpp_interop.py");
        File.Exists(script).Should().BeTrue("the test project copies interop/*.py next to the assembly ({0})", script);
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice", "alice-pass-1");
        await server.CreateUserAsync("bob", "bob-pass-2");

        var (exitCode, output) = await RunAsync(script,
        [
            "--host", "127.0.0.1", "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--domain", server.Domain,
            "--user1", "alice", "--pass1", "alice-pass-1",
            "--user2", "bob", "--pass2", "bob-pass-2",
            "--groups", group,
        ]);

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
        var script = Path.Combine(AppContext.BaseDirectory, "interop", "slixmpp_muc_interop.py");
        File.Exists(script).Should().BeTrue("the test project copies interop/*.py next to the assembly ({0})", script);
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice", "alice-pass-1");
        await server.CreateUserAsync("bob", "bob-pass-2");
        await server.CreateUserAsync("carol", "carol-pass-3");

        var (exitCode, output) = await RunAsync(script,
        [
            "--host", "127.0.0.1", "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--domain", server.Domain,
            "--user1", "alice", "--pass1", "alice-pass-1",
            "--user2", "bob", "--pass2", "bob-pass-2",
            "--user3", "carol", "--pass3", "carol-pass-3",
        ]);

        exitCode.Should().Be(0, "every MUC interop step must pass; the script said:\n{0}", output);
        output.Should().Contain("ALL PASSED");
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string script, string[] args)
    {
        var start = new ProcessStartInfo(SlixmppFactAttribute.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(script);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"(killed after {RunTimeout.TotalSeconds:0} s)\n" + Describe(stdout, stderr));
        }

        // The parameterless wait also drains the redirected streams, so the output is complete.
        await process.WaitForExitAsync();
        return (process.ExitCode, Describe(stdout, stderr));
    }

    private static void Append(StringBuilder sink, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sink)
        {
            sink.AppendLine(line);
        }
    }

    private static string Describe(StringBuilder stdout, StringBuilder stderr)
    {
        lock (stdout)
        {
            lock (stderr)
            {
                return $"--- stdout ---\n{stdout}--- stderr ---\n{stderr}";
            }
        }
    }
}
