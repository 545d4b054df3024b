using System.CommandLine;
using System.Text.Json;
using Rookery.Bench.Net;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Cli;

/// <summary>
/// The <c>rookery-bench</c> command line: one verb per scenario (login, idle, messaging, cross-node) sharing one set of
/// options. Exit codes: 0 clean run, 1 the run found failures (failed logins, drops, lost messages), 2 usage error
/// (including a non-loopback target).
/// </summary>
internal static class BenchCli
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen scenario.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var o = new CliOptions();
        var root = new RootCommand("rookery-bench: an XMPP load generator for loopback targets (login, idle, messaging, cross-node)");
        foreach (var scenario in Enum.GetValues<Scenario>())
        {
            var command = new Command(BenchRunner.CommandName(scenario), Describe(scenario));
            o.AddTo(command);
            command.SetAction((parse, ct) => RunScenarioAsync(scenario, o, parse, ct));
            root.Add(command);
        }

        root.Add(BuildReflectorCommand());
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    private static Command BuildReflectorCommand()
    {
        var host = new Option<string>("--host") { Description = "Loopback address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on.", DefaultValueFactory = _ => 5999 };
        var duration = new Option<string>("--duration") { Description = "Stop after this long.", DefaultValueFactory = _ => "10m" };
        var flush = new Option<string>("--flush-interval") { Description = "Coalesce writes to each recipient over this interval (0: after every read).", DefaultValueFactory = _ => "0" };
        var command = new Command("reflector", "A minimal XMPP endpoint (PLAIN without TLS, messages copied to their 'to'): run messaging against it to measure the generator's own ceiling.")
        {
            host, port, duration, flush,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var endpoint = LoopbackGuard.ParseTarget(parse.GetValue(host)!, parse.GetValue(port));
                var lifetime = DurationParser.Parse(parse.GetValue(duration)!, "--duration");
                var reflector = Calibration.Reflector.Start(endpoint.ToIPEndPoint(), DurationParser.Parse(parse.GetValue(flush)!, "--flush-interval"));
                await using (reflector.ConfigureAwait(false))
                {
                    await Console.Out.WriteLineAsync($"reflector listening on {endpoint.Address}:{reflector.Port} for {lifetime}").ConfigureAwait(false);
                    try
                    {
                        await Task.Delay(lifetime, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    await Console.Out.WriteLineAsync($"reflector: {reflector.Routed} messages routed, {reflector.Unroutable} unroutable").ConfigureAwait(false);
                }

                return 0;
            }
            catch (BenchUsageException e)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    private static string Describe(Scenario s) => s switch
    {
        Scenario.Login => "N users connect, authenticate, bind and send initial presence: logins/s, failures, time to all-online.",
        Scenario.Idle => "Hold N authenticated connections from several 127.0.0.x addresses: server memory per connection (--server-pid).",
        Scenario.Messaging => "Users send chat messages to random online peers at a stepped-up aggregate rate: max sustained rate, latency percentiles.",
        Scenario.Muc => "Users enter --rooms rooms (XEP-0045) and send groupchat messages at a stepped-up rate: fan-out deliveries/s, latency percentiles.",
        _ => "Messaging with senders on --host nodes and receivers on --receiver-host nodes.",
    };

    private static async Task<int> RunScenarioAsync(Scenario scenario, CliOptions cli, ParseResult parse, CancellationToken ct)
    {
        BenchOptions options;
        try
        {
            options = cli.ToBenchOptions(scenario, parse);
        }
        catch (BenchUsageException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return 2;
        }

        BenchResult result;
        try
        {
            result = await BenchRunner.RunAsync(options, Console.Out, overwriteProgress: !Console.IsOutputRedirected, ct).ConfigureAwait(false);
        }
        catch (BenchUsageException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        catch (JsonException e)
        {
            await Console.Error.WriteLineAsync("error: the SCRAM key cache is not readable: " + e.Message).ConfigureAwait(false);
            return 2;
        }

        await Console.Out.WriteLineAsync().ConfigureAwait(false);
        await Console.Out.WriteLineAsync(MarkdownReport.Render(result)).ConfigureAwait(false);
        if (options.JsonPath is not null)
        {
            await Console.Out.WriteLineAsync($"JSON written to {options.JsonPath}").ConfigureAwait(false);
        }

        return result.Clean ? 0 : 1;
    }

    /// <summary>The options every verb shares, and their mapping onto <see cref="BenchOptions"/>.</summary>
    private sealed class CliOptions
    {
        private readonly Option<string> _host = new("--host") { Description = "Target address(es), comma-separated, host[:port]; loopback only (127.0.0.0/8, ::1, localhost).", DefaultValueFactory = _ => "127.0.0.1" };
        private readonly Option<int> _port = new("--port") { Description = "Default port for --host entries without one.", DefaultValueFactory = _ => 5222 };
        private readonly Option<string?> _receiverHost = new("--receiver-host") { Description = "cross-node: the receivers' node address(es), like --host. Default: the --host list." };
        private readonly Option<string> _domain = new("--domain") { Description = "XMPP domain.", DefaultValueFactory = _ => "localhost" };
        private readonly Option<int> _users = new("--users") { Description = "Users (connections). Default 100 (smoke: 4)." };
        private readonly Option<string> _userPattern = new("--user-pattern") { Description = "User name format, {0} is the number from 0. Default bench{0}." };
        private readonly Option<string> _password = new("--password") { Description = "Password of every user. Default pw." };
        private readonly Option<string?> _provision = new("--provision") { Description = "Command run per user before the scenario; {user} {domain} {password} {jid} are replaced." };
        private readonly Option<string?> _provisionOnce = new("--provision-once") { Description = "One command that creates all users before the scenario (a bulk tool such as 'rookery user add-range {pattern}@{domain} --count {count} --password {password}'); {pattern} {domain} {count} {from} {last} {password} are replaced." };
        private readonly Option<int> _provisionParallel = new("--provision-parallel") { Description = "Provisioning commands or registrations at once. Default: cores (at least 2)." };
        private readonly Option<bool> _register = new("--register") { Description = "Create the users by in-band registration (XEP-0077) first." };
        private readonly Option<int> _rooms = new("--rooms") { Description = "muc: rooms; user i enters room i mod N. Default 1." };
        private readonly Option<string> _roomPattern = new("--room-pattern") { Description = "muc: room name format, {0} is the number from 0. Default benchroom{0}." };
        private readonly Option<string?> _mucService = new("--muc-service") { Description = "muc: the MUC service's domain. Default conference.<domain>." };
        private readonly Option<bool> _tls = new("--tls") { Description = "Negotiate STARTTLS." };
        private readonly Option<string> _mechanism = new("--mechanism") { Description = "SASL mechanism: SCRAM-SHA-1, SCRAM-SHA-256 (default), SCRAM-SHA-512, PLAIN." };
        private readonly Option<string> _duration = new("--duration") { Description = "Time bound of the measured phase (messaging steps, idle hold), e.g. 30s. Default 60s (smoke 3s)." };
        private readonly Option<string> _stepDuration = new("--step-duration") { Description = "Length of each messaging rate step. Default 5s (smoke 1s)." };
        private readonly Option<int> _rateStart = new("--rate-start") { Description = "First offered rate, msg/s. Default 1000." };
        private readonly Option<int> _rateStep = new("--rate-step") { Description = "Rate increase per step, msg/s (0: constant rate). Default 1000." };
        private readonly Option<int> _rateGrowth = new("--rate-growth") { Description = "Rate increase per step in percent of the current rate; a step adds the larger of this and --rate-step. Default 0." };
        private readonly Option<int> _rateMax = new("--rate-max") { Description = "Highest offered rate, msg/s. Default 1000000." };
        private readonly Option<int?> _batch = new("--batch") { Description = "Messages each sender writes at once. Default: offered rate / 20,000, between 1 and 16." };
        private readonly Option<string> _p99 = new("--p99-max") { Description = "A step whose p99 latency is above this is not sustained. Default 100ms." };
        private readonly Option<string> _tick = new("--tick") { Description = "Shortest pause of the messaging pacer between bursts (e.g. 200us, 1ms). Default 200us." };
        private readonly Option<string> _drain = new("--drain") { Description = "Longest wait for in-flight messages after the last step. Default 5s." };
        private readonly Option<string> _settle = new("--settle") { Description = "idle: wait after all-online before reading memory. Default 2s." };
        private readonly Option<int> _concurrency = new("--concurrency") { Description = "Logins in flight at once. Default 200." };
        private readonly Option<int> _sources = new("--sources") { Description = "Loopback source addresses to spread connections over (127.0.0.1..N). Default 4." };
        private readonly Option<string> _loginTimeout = new("--login-timeout") { Description = "Time one login may take. Default 30s." };
        private readonly Option<int?> _serverPid = new("--server-pid") { Description = "The server's PID: its RSS and CPU are read from /proc." };
        private readonly Option<string?> _json = new("--json") { Description = "Write the result as JSON to this file." };
        private readonly Option<bool> _smoke = new("--smoke") { Description = "Tiny and short (4 users, a few seconds); any failure or loss fails the run." };
        private readonly Option<string?> _scramCache = new("--scram-cache") { Description = "File keeping derived SCRAM keys between runs, so repeated login storms measure the server, not PBKDF2." };
        private readonly Option<int> _seed = new("--seed") { Description = "Seed of the recipient choice. Default 1." };

        public void AddTo(Command c)
        {
            foreach (var option in new Option[]
            {
                _host, _port, _receiverHost, _domain, _users, _userPattern, _password, _provision, _provisionOnce, _provisionParallel, _register,
                _rooms, _roomPattern, _mucService, _tls, _mechanism, _duration, _stepDuration, _rateStart, _rateStep, _rateGrowth, _rateMax, _batch, _p99, _tick, _drain, _settle, _concurrency,
                _sources, _loginTimeout, _serverPid, _json, _smoke, _scramCache, _seed,
            })
            {
                c.Add(option);
            }
        }

        /// <summary>Smoke defaults first, then every option given explicitly on the command line.</summary>
        public BenchOptions ToBenchOptions(Scenario scenario, ParseResult p)
        {
            var o = new BenchOptions { Scenario = scenario };
            if (p.GetValue(_smoke))
            {
                o.ApplySmokeDefaults();
            }

            var port = p.GetValue(_port);
            o.Targets = LoopbackGuard.ParseTargets(p.GetValue(_host)!, port);
            if (p.GetValue(_receiverHost) is { } receivers)
            {
                o.ReceiverTargets = LoopbackGuard.ParseTargets(receivers, port);
            }
            else if (scenario == Scenario.CrossNode)
            {
                // Without a second list the receivers share the senders' nodes: the scenario still runs (a smoke check).
                o.ReceiverTargets = o.Targets;
            }

            o.Domain = p.GetValue(_domain)!;
            Set(p, _users, v => o.Users = v);
            Set(p, _userPattern, v => o.UserPattern = v);
            Set(p, _password, v => o.Password = v);
            o.ProvisionCommand = p.GetValue(_provision);
            o.ProvisionOnceCommand = p.GetValue(_provisionOnce);
            Set(p, _provisionParallel, v => o.ProvisionParallelism = v);
            o.Register = p.GetValue(_register);
            Set(p, _rooms, v => o.Rooms = v);
            Set(p, _roomPattern, v => o.RoomPattern = v);
            o.MucService = p.GetValue(_mucService);
            o.Tls = p.GetValue(_tls);
            Set(p, _mechanism, v => o.Mechanism = v);
            Set(p, _duration, v => o.Duration = DurationParser.Parse(v, "--duration"));
            Set(p, _stepDuration, v => o.StepDuration = DurationParser.Parse(v, "--step-duration"));
            Set(p, _rateStart, v => o.RateStart = v);
            Set(p, _rateStep, v => o.RateStep = v);
            Set(p, _rateGrowth, v => o.RateGrowthPercent = v);
            Set(p, _rateMax, v => o.RateMax = v);
            o.Batch = p.GetValue(_batch);
            Set(p, _p99, v => o.P99Threshold = DurationParser.Parse(v, "--p99-max"));
            Set(p, _tick, v => o.Tick = DurationParser.Parse(v, "--tick"));
            Set(p, _drain, v => o.Drain = DurationParser.Parse(v, "--drain"));
            Set(p, _settle, v => o.Settle = DurationParser.Parse(v, "--settle"));
            Set(p, _concurrency, v => o.Concurrency = v);
            Set(p, _sources, v => o.SourceAddresses = v);
            Set(p, _loginTimeout, v => o.LoginTimeout = DurationParser.Parse(v, "--login-timeout"));
            o.ServerPid = p.GetValue(_serverPid);
            o.JsonPath = p.GetValue(_json);
            o.ScramCachePath = p.GetValue(_scramCache);
            Set(p, _seed, v => o.Seed = v);
            if (o.StepDuration <= TimeSpan.Zero || o.Duration <= TimeSpan.Zero)
            {
                throw new BenchUsageException("--duration and --step-duration must be positive");
            }

            return o;
        }

        private static void Set<T>(ParseResult p, Option<T> option, Action<T> apply)
        {
            if (p.GetResult(option) is not null)
            {
                apply(p.GetValue(option)!);
            }
        }
    }
}
