using System.Diagnostics;

namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// A fact that needs Debian's python3-slixmpp under /usr/bin/python3. xunit 2.9 has no dynamic skip, so the check runs
/// when the attribute is built: without the module the test is skipped, except in CI (environment CI=true), where a
/// missing interop client must fail the run instead of passing silently.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SlixmppFactAttribute : FactAttribute
{
    /// <summary>The interpreter the interop scripts are written for (the system one, with Debian's packages).</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> MissingReason = new(FindMissingReason);

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when slixmpp is unavailable outside CI.</summary>
    public SlixmppFactAttribute()
    {
        if (MissingReason.Value is { } reason && !IsCi)
        {
            Skip = reason + " (set CI=true to make this a failure)";
        }
    }

    /// <summary>True when the environment says this is a CI run.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why the interop client cannot run here, or null when it can.</summary>
    public static string? Missing => MissingReason.Value;

    private static string? FindMissingReason()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} does not exist; apt-get install python3-slixmpp";
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import slixmpp"])
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
                return $"{Python} -c 'import slixmpp' did not finish within 30 s";
            }

            return probe.ExitCode == 0 ? null : $"python3-slixmpp is not installed for {Python}: {stderr.Result.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} cannot be started: {e.Message}";
        }
    }
}
