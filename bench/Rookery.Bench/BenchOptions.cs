using System.Globalization;
using Rookery.Bench.Net;
using Rookery.Bench.Provisioning;

namespace Rookery.Bench;

/// <summary>Everything a bench run needs; the command line fills it, tests build it directly.</summary>
internal sealed class BenchOptions
{
    /// <summary>The scenario to run.</summary>
    public Scenario Scenario { get; set; }

    /// <summary>Servers the clients connect to, round-robin (the senders' nodes in cross-node).</summary>
    public IReadOnlyList<XmppEndpoint> Targets { get; set; } = [];

    /// <summary>Cross-node only: the receivers' nodes.</summary>
    public IReadOnlyList<XmppEndpoint> ReceiverTargets { get; set; } = [];

    /// <summary>The XMPP domain of the accounts.</summary>
    public string Domain { get; set; } = "localhost";

    /// <summary>Number of users (connections). Cross-node splits them into senders and receivers.</summary>
    public int Users { get; set; } = 100;

    /// <summary>Composite format for user names; <c>{0}</c> is the user's number from 0.</summary>
    public string UserPattern { get; set; } = "bench{0}";

    /// <summary>Every user's password.</summary>
    public string Password { get; set; } = "pw";

    /// <summary>Resource bound by each client.</summary>
    public string Resource { get; set; } = "bench";

    /// <summary>A command run once per user before the scenario; <c>{user}</c>, <c>{domain}</c>, <c>{password}</c>, <c>{jid}</c> are replaced.</summary>
    public string? ProvisionCommand { get; set; }

    /// <summary>
    /// A command run once before the scenario to create every account (a bulk tool); <c>{pattern}</c>, <c>{domain}</c>,
    /// <c>{count}</c>, <c>{from}</c>, <c>{last}</c>, <c>{password}</c> are replaced.
    /// </summary>
    public string? ProvisionOnceCommand { get; set; }

    /// <summary>How many provisioning commands or registrations run at once.</summary>
    public int ProvisionParallelism { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Create users by in-band registration (XEP-0077) before the scenario.</summary>
    public bool Register { get; set; }

    /// <summary>A provisioner given through the API (tests): used instead of a command or registration.</summary>
    public IUserProvisioner? Provisioner { get; set; }

    /// <summary>muc: the number of rooms; user i enters room i mod Rooms.</summary>
    public int Rooms { get; set; } = 1;

    /// <summary>muc: composite format of the room names; <c>{0}</c> is the room's number from 0.</summary>
    public string RoomPattern { get; set; } = "benchroom{0}";

    /// <summary>muc: the MUC service's domain; null means <c>conference.</c> + the domain.</summary>
    public string? MucService { get; set; }

    /// <summary>Negotiate STARTTLS.</summary>
    public bool Tls { get; set; }

    /// <summary>SASL mechanism.</summary>
    public string Mechanism { get; set; } = "SCRAM-SHA-256";

    /// <summary>Upper bound of the measured phase: messaging stepping time, idle hold time.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long each messaging rate step lasts.</summary>
    public TimeSpan StepDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First offered aggregate rate, messages per second.</summary>
    public int RateStart { get; set; } = 1000;

    /// <summary>Increase of the offered rate per step.</summary>
    public int RateStep { get; set; } = 1000;

    /// <summary>
    /// Growth of the offered rate per step, in percent of the current rate; a step adds whichever is larger, this or
    /// <see cref="RateStep"/>. Geometric steps find the limit of a server doing 2,000 msg/s and of one doing 100,000
    /// in the same number of steps, where a fixed increment is either too coarse for one or too slow for the other.
    /// </summary>
    public int RateGrowthPercent { get; set; }

    /// <summary>Highest offered rate.</summary>
    public int RateMax { get; set; } = 1_000_000;

    /// <summary>True when every step offers the same rate (no increment, no growth): one rate for the whole duration.</summary>
    public bool ConstantRate => RateStep == 0 && RateGrowthPercent == 0;

    /// <summary>The offered rate of the step after one at <paramref name="rate"/>.</summary>
    public int NextRate(int rate)
    {
        if (ConstantRate)
        {
            return rate;
        }

        // At least one message per second more, so small rates with a percentage growth still move.
        var grown = Math.Max(1L, (long)rate * RateGrowthPercent / 100);
        return (int)Math.Min(int.MaxValue, rate + Math.Max(RateStep, grown));
    }

    /// <summary>Messages each sender writes at once; null picks rate / 20,000 (1..16).</summary>
    public int? Batch { get; set; }

    /// <summary>
    /// The pacer's shortest sleep between bursts: each burst carries at most about this much of the offered rate's
    /// traffic (plus the system's timer slack). Where sub-millisecond sleeps are not available it is 1 ms.
    /// </summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromMicroseconds(200);

    /// <summary>The longest stretch of traffic the pacer writes in one burst after falling behind; older debt is skipped.</summary>
    public TimeSpan MaxPacerDebt { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A step whose p99 latency exceeds this is not sustained.</summary>
    public TimeSpan P99Threshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A step is sustained while delivered ≥ this fraction of sent (and sent ≥ this fraction of offered).</summary>
    public double DeliveryRatio { get; set; } = 0.95;

    /// <summary>Longest wait after the last step for messages still in flight.</summary>
    public TimeSpan Drain { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle: pause between all-online and the memory reading, so the server settles.</summary>
    public TimeSpan Settle { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Logins in flight at once.</summary>
    public int Concurrency { get; set; } = 200;

    /// <summary>Loopback source addresses to spread connections over (127.0.0.1 .. 127.0.0.N).</summary>
    public int SourceAddresses { get; set; } = 4;

    /// <summary>Time one login may take.</summary>
    public TimeSpan LoginTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time the whole login phase may take.</summary>
    public TimeSpan LoginPhaseTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>The server's process id, for RSS and CPU readings.</summary>
    public int? ServerPid { get; set; }

    /// <summary>Where to write the JSON result.</summary>
    public string? JsonPath { get; set; }

    /// <summary>Smoke mode: tiny and short, and any failure or loss fails the run.</summary>
    public bool Smoke { get; set; }

    /// <summary>File that keeps derived SCRAM keys between runs.</summary>
    public string? ScramCachePath { get; set; }

    /// <summary>Seed of the recipient choice.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The local part of user <paramref name="i"/>.</summary>
    public string UserName(int i) => string.Format(CultureInfo.InvariantCulture, UserPattern, i);

    /// <summary>Options for a smoke run of <paramref name="scenario"/> against one server: 4 users, about three seconds.</summary>
    public static BenchOptions ForSmoke(Scenario scenario, XmppEndpoint target)
    {
        var o = new BenchOptions
        {
            Scenario = scenario,
            Targets = [target],
            ReceiverTargets = scenario == Scenario.CrossNode ? [target] : [],
            Smoke = true,
        };
        o.ApplySmokeDefaults();
        return o;
    }

    /// <summary>Sets the smoke values (a CLI run applies them only to options not given explicitly).</summary>
    public void ApplySmokeDefaults()
    {
        Smoke = true;
        Users = 4;
        Duration = TimeSpan.FromSeconds(3);
        StepDuration = TimeSpan.FromSeconds(1);
        RateStart = 40;
        RateStep = 40;
        RateMax = 80;
        Drain = TimeSpan.FromSeconds(3);
        Settle = TimeSpan.FromMilliseconds(200);
        LoginPhaseTimeout = TimeSpan.FromSeconds(30);
        LoginTimeout = TimeSpan.FromSeconds(10);
        // Smoke runs in CI next to the test suite: a slow machine must not turn a sane run into a failed step.
        P99Threshold = TimeSpan.FromSeconds(2);
    }

    /// <summary>Checks the options; throws <see cref="BenchUsageException"/> with the reason.</summary>
    public void Validate()
    {
        if (Targets.Count == 0)
        {
            throw new BenchUsageException("No target host given (--host)");
        }

        foreach (var t in Targets.Concat(ReceiverTargets))
        {
            if (!LoopbackGuard.IsLoopback(t.Address))
            {
                throw new BenchUsageException($"refusing to target {t.Address}: rookery-bench only sends traffic to loopback addresses (127.0.0.0/8 or ::1)");
            }
        }

        if (Scenario == Scenario.CrossNode && ReceiverTargets.Count == 0)
        {
            throw new BenchUsageException("cross-node needs the receivers' nodes (--receiver-host)");
        }

        if ((ProvisionCommand is not null ? 1 : 0) + (ProvisionOnceCommand is not null ? 1 : 0) + (Register ? 1 : 0) > 1)
        {
            throw new BenchUsageException("--provision, --provision-once and --register are alternatives: give one");
        }

        if (Rooms < 1 || (Scenario == Scenario.Muc && Rooms > Users))
        {
            throw new BenchUsageException("--rooms must be between 1 and --users (every room needs an occupant)");
        }

        try
        {
            _ = string.Format(CultureInfo.InvariantCulture, RoomPattern, 0);
        }
        catch (FormatException)
        {
            throw new BenchUsageException($"--room-pattern '{RoomPattern}' is not a valid format (use {{0}} for the number)");
        }

        var minUsers = Scenario is Scenario.Messaging or Scenario.CrossNode ? 2 : 1;
        if (Users < minUsers)
        {
            throw new BenchUsageException($"{Scenario} needs at least {minUsers} users");
        }

        if (Mechanism != "PLAIN" && ScramClient.HashFor(Mechanism) is null)
        {
            throw new BenchUsageException($"Unknown SASL mechanism '{Mechanism}' (SCRAM-SHA-1, SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN)");
        }

        if (RateStart < 1 || RateStep < 0 || RateMax < RateStart || RateGrowthPercent is < 0 or > 1000)
        {
            throw new BenchUsageException("Rates must satisfy 1 <= --rate-start <= --rate-max, --rate-step >= 0 and 0 <= --rate-growth <= 1000");
        }

        if (Tick <= TimeSpan.Zero || Tick > TimeSpan.FromMilliseconds(100))
        {
            throw new BenchUsageException("--tick must be more than 0 and at most 100ms");
        }

        if (Concurrency < 1 || SourceAddresses < 1 || ProvisionParallelism < 1 || Batch is < 1 or > 256)
        {
            throw new BenchUsageException("--concurrency, --sources and --provision-parallel must be at least 1, --batch 1..256");
        }

        try
        {
            _ = UserName(0);
        }
        catch (FormatException)
        {
            throw new BenchUsageException($"--user-pattern '{UserPattern}' is not a valid format (use {{0}} for the number)");
        }

        // Each connection is one file descriptor; leave room for the runtime's own.
        if (Metrics.ProcessProbe.OpenFileLimit() is { } limit && Users + 100 > limit)
        {
            throw new BenchUsageException($"{Users} connections need more open files than this process may have ({limit}); raise 'ulimit -n' or use fewer users");
        }
    }
}
