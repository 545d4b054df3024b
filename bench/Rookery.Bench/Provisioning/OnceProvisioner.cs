using System.Diagnostics;
using System.Globalization;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Provisioning;

/// <summary>
/// Runs one command that creates every account at once, e.g.
/// <c>rookery user add-range {pattern}@{domain} --count {count} --password {password} --data DIR</c>: a bulk tool is
/// hundreds of times faster than a process per user. Placeholders: <c>{pattern}</c> (the user pattern), <c>{domain}</c>,
/// <c>{count}</c>, <c>{from}</c> (always 0), <c>{last}</c> (count − 1), <c>{password}</c>. No shell is involved.
/// </summary>
internal static class OnceProvisioner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);

    /// <summary>Runs the command; a non-zero exit makes every account count as failed, with the command's output as the reason.</summary>
    public static async Task<ProvisionResult> RunAsync(BenchOptions o, TextWriter progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(progress);
        var template = CommandProvisioner.Split(o.ProvisionOnceCommand!);
        if (template.Count == 0)
        {
            throw new BenchUsageException("--provision-once is empty");
        }

        var args = template.Select(a => Substitute(a, o)).ToList();
        var psi = new ProcessStartInfo(args[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        await progress.WriteLineAsync($"[provision] {string.Join(' ', args.Select(a => a == o.Password ? "***" : a))}").ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new BenchUsageException($"cannot start '{psi.FileName}'");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchUsageException($"--provision-once: cannot start '{psi.FileName}': {e.Message}");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{psi.FileName}' did not finish within {Timeout.TotalMinutes} minutes");
            }

            var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
            var ok = process.ExitCode == 0;
            var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
            return new ProvisionResult
            {
                Method = "once",
                Requested = o.Users,
                Created = ok ? o.Users : 0,
                Failed = ok ? 0 : o.Users,
                Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2),
                FirstError = ok ? null : $"'{psi.FileName}' exited with {process.ExitCode}: {lastLine}",
                Output = lastLine,
            };
        }
    }

    private static string Substitute(string arg, BenchOptions o) => arg
        .Replace("{pattern}", o.UserPattern, StringComparison.Ordinal)
        .Replace("{domain}", o.Domain, StringComparison.Ordinal)
        .Replace("{count}", o.Users.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{from}", "0", StringComparison.Ordinal)
        .Replace("{last}", (o.Users - 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{password}", o.Password, StringComparison.Ordinal);
}
