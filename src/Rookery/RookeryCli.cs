using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Hosting;
using Rookery.Protocol.Addressing;
using Rookery.Server.Auth;
using Rookery.Storage;

namespace Rookery.Cli;

/// <summary>The <c>rookery</c> command line: <c>run</c>, <c>user add|add-range|import|delete|passwd|list</c>, <c>cluster status|drain</c>, <c>component</c>, <c>version</c>.</summary>
internal static partial class RookeryCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var node = new NodeOptions();
        var root = new RootCommand("Rookery: a clustered XMPP server");

        var run = new Command("run", "Run a node in the foreground until SIGTERM or Ctrl+C.") { TreatUnmatchedTokensAsErrors = false };
        node.AddRun(run);
        run.SetAction((parse, ct) => Guard(() => RunNodeAsync(node, parse, ct)));
        root.Add(run);

        root.Add(BuildUserCommand(node));
        root.Add(BuildComponentCommand(node));
        root.Add(ClusterCommands.Build(node, Guard));

        var version = new Command("version", "Print the version.");
        version.SetAction(_ =>
        {
            Console.WriteLine($"rookery {Version}");
            return 0;
        });
        root.Add(version);

        // The web host owns SIGTERM/Ctrl+C (it stops the node, which sends <system-shutdown/>). System.CommandLine's
        // own handler would cancel the action and, 2 s later, exit with 143 while streams are still closing.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
    }

    private static string Version =>
        typeof(RookeryCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static async Task<int> RunNodeAsync(NodeOptions node, ParseResult parse, CancellationToken ct)
    {
        var options = node.Load(parse, ConfigurationSwitches(parse.UnmatchedTokens));
        SocketCompletionMode.Apply(options.Listeners.InlineCompletions); // before the node opens its first socket
        await using var rookery = RookeryNode.Create(options);
        await rookery.StartAsync(ct).ConfigureAwait(false);
        await rookery.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    private static Command BuildUserCommand(NodeOptions node)
    {
        var user = new Command("user", "Manage accounts (works on the node's storage; the node may be running).");
        var jidArg = new Argument<string>("jid") { Description = "The account, as user@domain." };
        var password = new Option<string?>("--password") { Description = "The password. When omitted, it is read from the first line of standard input." };

        var add = new Command("add", "Create an account.") { jidArg, password };
        node.AddCommon(add);
        add.SetAction((parse, ct) => Guard(() => WithAccountsAsync(node, parse, async accounts =>
        {
            var jid = ParseAccount(parse.GetValue(jidArg)!, accounts);
            var created = await accounts.CreateAsync(jid, ReadPassword(parse.GetValue(password)), ct).ConfigureAwait(false);
            return Report(created, $"Created {jid}", $"{jid} already exists");
        })));

        var delete = new Command("delete", "Delete an account and everything stored for it.") { jidArg };
        node.AddCommon(delete);
        delete.SetAction((parse, ct) => Guard(() => WithAccountsAsync(node, parse, async accounts =>
        {
            var jid = ParseAccount(parse.GetValue(jidArg)!, accounts);
            var deleted = await accounts.DeleteAsync(jid, ct).ConfigureAwait(false);
            return Report(deleted, $"Deleted {jid}", $"{jid} does not exist");
        })));

        var passwd = new Command("passwd", "Change an account's password.") { jidArg, password };
        node.AddCommon(passwd);
        passwd.SetAction((parse, ct) => Guard(() => WithAccountsAsync(node, parse, async accounts =>
        {
            var jid = ParseAccount(parse.GetValue(jidArg)!, accounts);
            var changed = await accounts.SetPasswordAsync(jid, ReadPassword(parse.GetValue(password)), ct).ConfigureAwait(false);
            return Report(changed, $"Changed the password of {jid}", $"{jid} does not exist");
        })));

        var domainArg = new Argument<string>("domain") { Description = "The domain whose accounts are listed." };
        var list = new Command("list", "List the accounts of a domain.") { domainArg };
        node.AddCommon(list);
        list.SetAction((parse, ct) => Guard(() => WithAccountsAsync(node, parse, async accounts =>
        {
            var text = parse.GetValue(domainArg)!;
            if (!Jid.TryParse(text, out var domainJid) || !domainJid.IsDomain || !domainJid.IsBare)
            {
                throw new CliException($"'{text}' is not a domain name");
            }

            var domain = domainJid.Domain;
            foreach (var name in await accounts.Store.ListAsync(domain, ct).ConfigureAwait(false))
            {
                Console.WriteLine($"{name}@{domain}");
            }

            return 0;
        })));

        user.Add(add);
        user.Add(delete);
        user.Add(passwd);
        user.Add(list);
        AddBulkUserCommands(user, node);
        return user;
    }

    private static async Task<int> WithAccountsAsync(NodeOptions node, ParseResult parse, Func<AccountService, Task<int>> action)
    {
        var options = node.Load(parse);
        await using var provider = new ServiceCollection().AddLogging().AddRookery(options).BuildServiceProvider();
        await provider.MigrateStorageAsync().ConfigureAwait(false);
        return await action(provider.GetRequiredService<AccountService>()).ConfigureAwait(false);
    }

    private static Jid ParseAccount(string text, AccountService accounts)
    {
        _ = accounts;
        if (!Jid.TryParse(text, out var jid) || jid.Local is null || !jid.IsBare)
        {
            throw new CliException($"'{text}' is not an account JID (user@domain)");
        }

        return jid;
    }

    private static string ReadPassword(string? given)
    {
        var password = given ?? Console.In.ReadLine();
        if (string.IsNullOrEmpty(password))
        {
            throw new CliException("A password is required (--password, or one line on standard input)");
        }

        return password;
    }

    private static int Report(bool ok, string success, string failure)
    {
        if (ok)
        {
            Console.WriteLine(success);
            return 0;
        }

        Console.Error.WriteLine("error: " + failure);
        return 1;
    }

    /// <summary>
    /// The tokens of <c>run</c> that are not friendly switches must be configuration keys, <c>--Key=value</c> or
    /// <c>--Key value</c>; returns them as <c>--Key=value</c>. Anything else is an error, because the configuration
    /// provider would silently drop it (a typo such as <c>--prot 5222</c> or a stray word must not start a node
    /// with defaults).
    /// </summary>
    private static string[] ConfigurationSwitches(IReadOnlyList<string> tokens)
    {
        var switches = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2 || token[2] is '=' or '-')
            {
                throw new CliException($"unexpected argument '{token}' (configuration keys are given as --Key:Sub=value)");
            }

            if (token.Contains('=', StringComparison.Ordinal))
            {
                switches.Add(token);
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                switches.Add(token + "=" + tokens[++i]);
            }
            else
            {
                throw new CliException($"'{token}' is not an option of 'run', and as a configuration key it needs a value ({token}=value)");
            }
        }

        return [.. switches];
    }

    /// <summary>A listener could not be opened (address in use, not permitted): Kestrel wraps the socket error.</summary>
    private static bool IsListenerFailure(IOException e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Turns expected failures into a one-line message and exit code 2 instead of a stack trace.</summary>
    private static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConfigurationException or CliException or FormatException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        catch (IOException e) when (IsListenerFailure(e))
        {
            await Console.Error.WriteLineAsync("error: cannot open a listener: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        catch (System.Data.Common.DbException e)
        {
            // SQLite and PostgreSQL both report through DbException: an unreachable or unusable database is an
            // operator's problem to fix, not a crash to debug.
            await Console.Error.WriteLineAsync("error: cannot use the database: " + e.Message).ConfigureAwait(false);
            return 2;
        }
    }
}
