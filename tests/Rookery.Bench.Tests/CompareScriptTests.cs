using System.Diagnostics;
using System.Reflection;
using Rookery.TestKit;

namespace Rookery.Bench.Tests;

/// <summary>
/// <c>bench/compare.sh --self-check</c>: the generated Prosody, ejabberd and Rookery configurations start, take the same
/// accounts, and pass a login and a muc smoke run. Skipped (with the reason) where prosody or ejabberd is not installed;
/// the self-check never installs anything.
/// </summary>
[Trait("Category", "Slow")]
public sealed class CompareScriptTests
{
    [PeerServersFact]
    public async Task SelfCheck_AllThreeServers_ProvisionLoginAndMucSmoke()
    {
        var root = RepositoryRoot();
        var configuration = typeof(CompareScriptTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var bench = Path.Combine(root, "bench", "Rookery.Bench", "bin", configuration, "net10.0", "rookery-bench.dll");
        var work = Directory.CreateTempSubdirectory("rookery-compare-check-").FullName;
        var psi = new ProcessStartInfo("bash", [Path.Combine(root, "bench", "compare.sh"), "--self-check"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["COMPARE_ROOKERY_DLL"] = RookeryProcess.Dll;
        psi.Environment["COMPARE_BENCH_DLL"] = bench;
        psi.Environment["COMPARE_WORK"] = work;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The script's trap stops the servers it started when it is terminated.
            process.Kill();
            throw;
        }

        var output = await stdout + await stderr;
        process.ExitCode.Should().Be(0, output);
        output.Should().Contain("compare.sh --self-check: OK (rookery prosody ejabberd)");
        foreach (var server in new[] { "rookery", "prosody", "ejabberd" })
        {
            output.Should().Contain($"{server}: login-plain ok").And.Contain($"{server}: muc ok");
        }

        Directory.Delete(work, recursive: true);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Rookery.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Rookery.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A fact that is skipped, saying why, when prosody or ejabberd is not installed.</summary>
    private sealed class PeerServersFactAttribute : FactAttribute
    {
        public PeerServersFactAttribute()
        {
            var missing = new List<string>();
            if (!File.Exists("/usr/bin/prosody"))
            {
                missing.Add("prosody");
            }

            // Debian puts ejabberd's Erlang applications in /usr/lib/<triplet>/ejabberd-<version>.
            if (!File.Exists("/usr/bin/erl") || !Directory.EnumerateDirectories("/usr/lib").Any(d => Directory.EnumerateDirectories(d, "ejabberd-*").Any()))
            {
                missing.Add("ejabberd");
            }

            if (missing.Count > 0)
            {
                Skip = $"not installed: {string.Join(", ", missing)} (bench/compare.sh installs them with apt-get when run as root)";
            }
        }
    }
}
