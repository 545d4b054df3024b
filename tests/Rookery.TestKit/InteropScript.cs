using System.Diagnostics;
using System.Text;

namespace Rookery.TestKit;

/// <summary>
/// Runs the interop scripts (interop/*.py, real third-party clients such as slixmpp) with Debian's system interpreter
/// and collects what they print, for the integration and the cluster tests alike.
/// </summary>
public static class InteropScript
{
    /// <summary>The interpreter the interop scripts are written for (the system one, with Debian's packages).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>How long a script may run before it is killed and its run reported as such.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    private static readonly Lazy<string?> MissingReason = new(() => FindMissingModule("slixmpp", "python3-slixmpp"));
    private static readonly Lazy<string?> MissingAiohttpReason = new(() => MissingReason.Value ?? FindMissingModule("aiohttp", "python3-aiohttp"));

    /// <summary>True when the environment says this is a CI run (where a missing client fails instead of skipping).</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why slixmpp cannot run here, or null when it can.</summary>
    public static string? MissingSlixmpp => MissingReason.Value;

    /// <summary>
    /// Why slixmpp's HTTP upload plugin (XEP-0363, which PUTs with aiohttp) cannot run here, or null when it can.
    /// </summary>
    public static string? MissingAiohttp => MissingAiohttpReason.Value;

    /// <summary>The path of a script copied next to the test assembly (the test projects copy interop/*.py).</summary>
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "interop", name);

    /// <summary>Runs a script to its end (or kills it after <paramref name="timeout"/>); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string script, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Python)
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
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"(killed after {limit.TotalSeconds:0} s)\n" + Describe(stdout, stderr));
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

    private static string? FindMissingModule(string module, string package)
    {
        if (!File.Exists(Python))
        {
            return $"{Python} does not exist; apt-get install {package}";
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import " + module])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var stderr = probe.StandardError.ReadToEndAsync();
            _ = probe.StandardOutput.ReadToEndAsync();
            if (!probe.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                probe.Kill(entireProcessTree: true);
                return $"{Python} -c 'import {module}' did not finish within 30 s";
            }

            return probe.ExitCode == 0 ? null : $"{package} is not installed for {Python}: {stderr.Result.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} cannot be started: {e.Message}";
        }
    }
}
