using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Server.Auth;

namespace Rookery.Cli;

/// <content>
/// <c>rookery user add-range</c> and <c>rookery user import</c>: bulk provisioning (issue #6). One process, one storage
/// connection, one transaction per batch, PBKDF2 on all cores; every input is checked before anything is written.
/// </content>
internal static partial class RookeryCli
{
    /// <summary>Accounts per transaction: large enough that commits do not dominate, small enough to show progress.</summary>
    private const int DefaultBatch = 500;

    /// <summary>Upper bound of one add-range, so a typo in <c>--count</c> does not fill the disk.</summary>
    private const int MaxRange = 10_000_000;

    private static void AddBulkUserCommands(Command user, NodeOptions node)
    {
        var patternArg = new Argument<string>("pattern") { Description = "The accounts, as pattern@domain; {0} in the pattern is the number, e.g. bench{0}@localhost." };
        var from = new Option<int>("--from") { Description = "First number. Default 0.", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = "How many accounts.", Required = true };
        var password = new Option<string?>("--password") { Description = "Every account's password. When omitted, it is read from the first line of standard input." };
        var iterations = new Option<int?>("--iterations") { Description = "PBKDF2 iterations of the SCRAM keys (default Auth:ScramIterations); for benchmark accounts." };
        var batch = new Option<int>("--batch") { Description = $"Accounts per transaction. Default {DefaultBatch}.", DefaultValueFactory = _ => DefaultBatch };

        var addRange = new Command("add-range", "Create numbered accounts in bulk (existing ones are left as they are).") { patternArg, from, count, password, iterations, batch };
        node.AddCommon(addRange);
        addRange.SetAction((parse, ct) => Guard(() =>
        {
            var accounts = RangeAccounts(parse.GetValue(patternArg)!, parse.GetValue(from), parse.GetValue(count), ReadPassword(parse.GetValue(password)));
            return CreateInBatchesAsync(node, parse, accounts, parse.GetValue(iterations), parse.GetValue(batch), ct);
        }));

        var import = new Command("import", "Create accounts from 'jid password' lines on standard input (blank lines and # comments are skipped; existing accounts are left as they are).") { iterations, batch };
        node.AddCommon(import);
        import.SetAction((parse, ct) => Guard(() =>
        {
            var accounts = ImportAccounts(Console.In);
            return CreateInBatchesAsync(node, parse, accounts, parse.GetValue(iterations), parse.GetValue(batch), ct);
        }));

        user.Add(addRange);
        user.Add(import);
    }

    /// <summary>The accounts of <c>pattern@domain</c> numbered <paramref name="from"/>..; all are checked before any is created.</summary>
    private static List<(Jid Account, string Password)> RangeAccounts(string text, int from, int count, string password)
    {
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            throw new CliException($"'{text}' is not a pattern@domain (for example bench{{0}}@localhost)");
        }

        var pattern = text[..at];
        var domain = text[(at + 1)..];
        if (!pattern.Contains("{0", StringComparison.Ordinal))
        {
            throw new CliException($"the pattern '{pattern}' has no {{0}} for the number, so every account would have the same name");
        }

        if (from < 0 || count < 1 || count > MaxRange || (long)from + count > int.MaxValue)
        {
            throw new CliException($"--from must be 0 or more and --count between 1 and {MaxRange}");
        }

        var accounts = new List<(Jid, string)>(count);
        for (var i = 0; i < count; i++)
        {
            string local;
            try
            {
                local = string.Format(CultureInfo.InvariantCulture, pattern, from + i);
            }
            catch (FormatException)
            {
                throw new CliException($"the pattern '{pattern}' is not a valid format (use {{0}} for the number)");
            }

            accounts.Add((AccountJid(local + "@" + domain, $"'{text}' gives '{local}@{domain}', which"), password));
        }

        return accounts;
    }

    /// <summary>Reads <c>jid password</c> lines; the password is the rest of the line after the first blank.</summary>
    private static List<(Jid Account, string Password)> ImportAccounts(TextReader input)
    {
        var accounts = new List<(Jid, string)>();
        var number = 0;
        while (input.ReadLine() is { } line)
        {
            number++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }

            var blank = trimmed.IndexOfAny([' ', '\t']);
            if (blank < 0)
            {
                throw new CliException($"line {number}: expected 'jid password', found no password");
            }

            var jid = AccountJid(trimmed[..blank], $"line {number}: '{trimmed[..blank]}'");
            accounts.Add((jid, trimmed[(blank + 1)..].TrimStart()));
        }

        if (accounts.Count == 0)
        {
            throw new CliException("no accounts on standard input (expected 'jid password' lines)");
        }

        return accounts;
    }

    private static Jid AccountJid(string text, string what)
    {
        if (!Jid.TryParse(text, out var jid) || jid.Local is null || !jid.IsBare)
        {
            throw new CliException($"{what} is not an account JID (user@domain)");
        }

        return jid;
    }

    private static Task<int> CreateInBatchesAsync(NodeOptions node, ParseResult parse, List<(Jid Account, string Password)> accounts, int? iterations, int batch, CancellationToken ct)
    {
        if (iterations is < 1 or > 10_000_000)
        {
            throw new CliException("--iterations must be between 1 and 10000000 (RFC 7677 recommends at least 4096)");
        }

        if (batch is < 1 or > 100_000)
        {
            throw new CliException("--batch must be between 1 and 100000");
        }

        return WithAccountsAsync(node, parse, async service =>
        {
            var started = Stopwatch.GetTimestamp();
            var created = 0;
            for (var offset = 0; offset < accounts.Count; offset += batch)
            {
                var slice = accounts.GetRange(offset, Math.Min(batch, accounts.Count - offset));
                created += await service.CreateManyAsync(slice, iterations, ct).ConfigureAwait(false);
                if (accounts.Count > batch)
                {
                    Console.WriteLine($"{offset + slice.Count}/{accounts.Count}");
                }
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"Created {created} accounts, {accounts.Count - created} existed already ({seconds:F1} s, {accounts.Count / Math.Max(seconds, 0.001):F0}/s)"));
            return 0;
        });
    }
}
