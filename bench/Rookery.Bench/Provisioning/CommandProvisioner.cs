using System.Diagnostics;
using System.Text;

namespace Rookery.Bench.Provisioning;

/// <summary>
/// Runs a command per account, e.g. <c>rookery user add {user}@{domain} --password {password} --data DIR</c>. The
/// template is split into arguments like a shell would split it (single and double quotes group) and the
/// placeholders are replaced in each argument, so no shell is involved and no value needs quoting.
/// A non-zero exit whose output mentions "exist" counts as an account that was there already.
/// </summary>
internal sealed class CommandProvisioner : IUserProvisioner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly IReadOnlyList<string> _template;

    /// <summary>Parses the template.</summary>
    public CommandProvisioner(string template)
    {
        _template = Split(template);
        if (_template.Count == 0)
        {
            throw new BenchUsageException("--provision is empty");
        }
    }

    /// <inheritdoc />
    public string Method => "command";

    /// <summary>Splits a command line: whitespace separates, quotes group, a backslash escapes the next character.</summary>
    public static IReadOnlyList<string> Split(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var args = new List<string>();
        var current = new StringBuilder();
        var inArg = false;
        char quote = '\0';
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < commandLine.Length)
                {
                    current.Append(commandLine[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inArg)
                {
                    args.Add(current.ToString());
                    current.Clear();
                    inArg = false;
                }
            }
            else
            {
                inArg = true;
                if (c is '\'' or '"')
                {
                    quote = c;
                }
                else if (c == '\\' && i + 1 < commandLine.Length)
                {
                    current.Append(commandLine[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
        }

        if (quote != '\0')
        {
            throw new BenchUsageException("--provision has an unterminated quote");
        }

        if (inArg)
        {
            args.Add(current.ToString());
        }

        return args;
    }

    /// <inheritdoc />
    public async Task<bool> ProvisionAsync(int index, string user, string domain, string password, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(Substitute(_template[0], user, domain, password))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in _template.Skip(1))
        {
            psi.ArgumentList.Add(Substitute(arg, user, domain, password));
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start {psi.FileName}");
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
            throw new TimeoutException($"'{psi.FileName}' for {user} did not finish within {Timeout.TotalSeconds} s");
        }

        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (process.ExitCode == 0)
        {
            return true;
        }

        if (output.Contains("exist", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var firstLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        throw new InvalidOperationException($"'{psi.FileName}' for {user} exited with {process.ExitCode}: {firstLine}");
    }

    private static string Substitute(string arg, string user, string domain, string password) => arg
        .Replace("{jid}", user + "@" + domain, StringComparison.Ordinal)
        .Replace("{user}", user, StringComparison.Ordinal)
        .Replace("{domain}", domain, StringComparison.Ordinal)
        .Replace("{password}", password, StringComparison.Ordinal);
}
