using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Hosting;
using Rookery.Protocol.Addressing;
using Rookery.Server.Auth;
using Rookery.Storage;

namespace Rookery.Cli;

/// <summary>The <c>rookery</c> command line: <c>run</c>, <c>user add|delete|passwd|list</c>, <c>version</c>.</summary>
internal static class RookeryCli
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

        var version = new Command("version", "Print the version.");
        version.SetAction(_ =>
        {
            Console.WriteLine($"rookery {Version}");
            return 0;
        });
        root.Add(version);

        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    private static string Version =>
        typeof(RookeryCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static async Task<int> RunNodeAsync(NodeOptions node, ParseResult parse, CancellationToken ct)
    {
        var options = node.Load(parse, [.. parse.UnmatchedTokens]);
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
            var deleted = await accounts.Store.DeleteAsync(jid.Domain, jid.Local!, ct).ConfigureAwait(false);
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
            var domain = Jid.Create(null, parse.GetValue(domainArg)!).Domain;
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
        return user;
    }

    private static async Task<int> WithAccountsAsync(NodeOptions node, ParseResult parse, Func<AccountService, Task<int>> action)
    {
        var options = node.Load(parse);
        await using var provider = new ServiceCollection().AddLogging().AddRookery(options).BuildServiceProvider();
        await provider.GetRequiredService<IStorage>().MigrateAsync().ConfigureAwait(false);
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
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync("error: cannot open a listener: " + e.Message).ConfigureAwait(false);
            return 2;
        }
    }
}
