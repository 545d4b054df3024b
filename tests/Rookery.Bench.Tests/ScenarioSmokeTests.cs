using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Bench.Net;
using Rookery.Bench.Provisioning;
using Rookery.Bench.Reporting;
using Rookery.Server.Hosts;
using Rookery.Server.Transport;
using Rookery.TestKit;

namespace Rookery.Bench.Tests;

/// <summary>
/// Every scenario in smoke mode against an in-process Rookery node, through the tool's API: the same runs CI does so the
/// bench cannot rot. Each takes a few seconds.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ScenarioSmokeTests
{
    private const int Users = 4;

    [Fact]
    public async Task Login_Smoke_AllUsersOnline()
    {
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Login);

        result.Clean.Should().BeTrue(string.Join("; ", result.Problems));
        result.Provision!.Created.Should().Be(Users);
        result.Login!.Succeeded.Should().Be(Users);
        result.Login.Failed.Should().Be(0);
        result.Login.LoginsPerSecond.Should().BeGreaterThan(0);
        result.Login.Latency.Count.Should().Be(Users);
        result.Login.Latency.P50Ms.Should().BeGreaterThan(0);
        result.BenchCpuSeconds.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Login_SmokeWithStartTlsAndEachMechanism_AllUsersOnline()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var mechanism in new[] { "SCRAM-SHA-1", "SCRAM-SHA-512", "PLAIN" })
        {
            var result = await RunAsync(server, Scenario.Login, o =>
            {
                o.Tls = true;
                o.Mechanism = mechanism;
                o.Provisioner = mechanism == "SCRAM-SHA-1" ? new TestServerProvisioner(server) : null;
            });

            result.Clean.Should().BeTrue($"{mechanism}: {string.Join("; ", result.Problems)}");
            result.Login!.Succeeded.Should().Be(Users, mechanism);
        }
    }

    [Fact]
    public async Task Login_PlainWithoutTls_FailsWithAClearReason()
    {
        // Rookery, like most servers, offers PLAIN only inside TLS.
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Login, o => o.Mechanism = "PLAIN");

        result.Clean.Should().BeFalse();
        result.Login!.Succeeded.Should().Be(0);
        result.Login.FailureReasons.Should().ContainKey("mechanism-not-offered");
        result.Login.FirstError.Should().Contain("--tls");
    }

    [Fact]
    public async Task Login_PlainWithoutTls_WhenTheServerAllowsIt_AllUsersOnline()
    {
        // Hosts:<domain>:AllowUnencryptedPlain: the compare.sh login storm runs every server with PLAIN and no TLS.
        await using var server = await TestServer.StartAsync(
            o => o.Hosts["localhost"] = new HostOptions { AllowUnencryptedPlain = true },
            auth: new AuthOptions { FailureDelayMilliseconds = 20, MaxFailureDelayMilliseconds = 100 });
        var result = await RunAsync(server, Scenario.Login, o => o.Mechanism = "PLAIN");

        result.Clean.Should().BeTrue(string.Join("; ", result.Problems));
        result.Login!.Succeeded.Should().Be(Users);
    }

    [Fact]
    public async Task Register_OnAServerWithoutInBandRegistration_ReportsEveryFailure()
    {
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Login, o =>
        {
            o.Provisioner = null;
            o.Register = true;
        });

        result.Provision!.Method.Should().Be("register");
        result.Provision.Failed.Should().Be(Users);
        result.Provision.FirstError.Should().Contain("in-band registration");
        result.Clean.Should().BeFalse();
    }

    [Fact]
    public async Task Idle_Smoke_HoldsConnectionsAndReadsServerMemory()
    {
        await using var server = await TestServer.StartAsync();
        // The in-process server's PID is this test host's: the reading works, its value says little.
        var result = await RunAsync(server, Scenario.Idle, o => o.ServerPid = Environment.ProcessId);

        result.Clean.Should().BeTrue(string.Join("; ", result.Problems));
        result.Idle!.Connections.Should().Be(Users);
        result.Idle.Dropped.Should().Be(0);
        result.Idle.HeldSeconds.Should().BeGreaterThan(0);
        result.Idle.RssBeforeKiB.Should().BeGreaterThan(0);
        result.Idle.RssAfterHoldKiB.Should().BeGreaterThan(0);
        result.Idle.BytesPerConnection.Should().NotBeNull();
        result.Server!.CpuSeconds.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Messaging_Smoke_EveryMessageDelivered()
    {
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Messaging);

        AssertMessaging(result, senders: Users, receivers: Users);
    }

    [Fact]
    public async Task Messaging_SmokeOverTls_EveryMessageDelivered()
    {
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Messaging, o => o.Tls = true);

        AssertMessaging(result, senders: Users, receivers: Users);
    }

    [Fact]
    public async Task CrossNode_Smoke_SendersAndReceiversSplit()
    {
        await using var server = await TestServer.StartAsync();
        // One node plays both lists here (the test server listens on 127.0.0.1 only); a cluster run uses two.
        var result = await RunAsync(server, Scenario.CrossNode, o => o.ReceiverTargets = [new XmppEndpoint(IPAddress.Loopback, server.Port)]);

        AssertMessaging(result, senders: Users / 2, receivers: Users / 2);
    }

    [Fact]
    public async Task Muc_Smoke_EveryOccupantGetsEveryGroupchatMessage()
    {
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Muc);

        AssertMessaging(result, senders: Users, receivers: Users, fanout: Users);
        result.Messaging!.Rooms.Should().Be(1);
        result.Messaging.JoinFailures.Should().Be(0);
        MarkdownReport.Render(result).Should().Contain("fan-out deliveries expected");
    }

    [Fact]
    public async Task Muc_SmokeTwoRooms_FanOutPerRoom()
    {
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Muc, o =>
        {
            o.Users = 6;
            o.Rooms = 2;
            // What this test checks is the per-room accounting, not whether a loaded CI machine keeps the pacer on time.
            o.Smoke = false;
        });

        result.Clean.Should().BeTrue(string.Join("; ", result.Problems));
        var m = result.Messaging!;
        m.Rooms.Should().Be(2);
        m.Senders.Should().Be(6);
        // Three occupants per room: every groupchat message is owed to three.
        m.ExpectedDeliveries.Should().Be(m.Sent * 3);
        m.Delivered.Should().Be(m.ExpectedDeliveries);
        m.Lost.Should().Be(0);
    }

    [Fact]
    public async Task Muc_AfterAnEarlierRunsMessagesWaitOffline_CountsOnlyThisRunsDeliveries()
    {
        // What compare.sh's muc run met after its messaging run: chat messages that reached the server after the earlier
        // run's connections had closed wait in offline storage and are flushed at the next login (with the earlier run's
        // stamps in their bodies). They are not deliveries of the groupchat run and must not be counted as such.
        await using var server = await TestServer.StartAsync();
        var offline = server.Services.GetRequiredService<Rookery.Storage.IOfflineStore>();
        for (var i = 0; i < Users; i++)
        {
            await server.CreateUserAsync($"bench{i}", "pw");
            for (var m = 0; m < 3; m++)
            {
                var xml = $"<message xmlns='jabber:client' from='bench{(i + 1) % Users}@{server.Domain}/bench' to='bench{i}@{server.Domain}' type='chat'><body>{12345 + m}</body></message>";
                (await offline.TryStoreAsync($"bench{i}@{server.Domain}", new Rookery.Storage.OfflineMessage(xml, DateTimeOffset.UtcNow), 100)).Should().BeTrue();
            }
        }

        var result = await RunAsync(server, Scenario.Muc, o => o.Provisioner = null);

        AssertMessaging(result, senders: Users, receivers: Users, fanout: Users);
        result.Messaging!.Replayed.Should().Be(Users * 3, "every stored message was flushed at login, and set apart");
        (await offline.CountAsync($"bench0@{server.Domain}")).Should().Be(0);
    }

    [Fact]
    public async Task Muc_NoSuchService_ReportsJoinFailures()
    {
        await using var server = await TestServer.StartAsync();
        var result = await RunAsync(server, Scenario.Muc, o =>
        {
            o.MucService = "nowhere." + server.Domain;
            o.LoginTimeout = TimeSpan.FromSeconds(5);
        });

        result.Clean.Should().BeFalse();
        result.Messaging!.JoinFailures.Should().Be(Users);
        result.Problems.Should().Contain(p => p.Contains("could not enter their room", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Messaging_Smoke_WritesJsonAndMarkdown()
    {
        await using var server = await TestServer.StartAsync();
        var json = Path.Combine(Path.GetTempPath(), "rookery-bench-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var progress = new StringWriter();
            var result = await RunAsync(server, Scenario.Messaging, o => o.JsonPath = json, progress);

            var text = await File.ReadAllTextAsync(json);
            text.Should().Contain("\"scenario\": \"messaging\"").And.Contain("\"maxSustainedRate\"").And.Contain("\"p99Ms\"");
            MarkdownReport.Render(result).Should().Contain("| offered/s |").And.Contain("max sustained rate");
            progress.ToString().Should().Contain("[messaging]");
        }
        finally
        {
            File.Delete(json);
        }
    }

    private static void AssertMessaging(BenchResult result, int senders, int receivers, int fanout = 1)
    {
        result.Clean.Should().BeTrue(string.Join("; ", result.Problems));
        result.Login!.Succeeded.Should().Be(Users);
        var m = result.Messaging!;
        m.Senders.Should().Be(senders);
        m.Receivers.Should().Be(receivers);
        m.Steps.Should().NotBeEmpty();
        m.Steps.Should().OnlyContain(s => s.Sustained);
        m.Steps.Should().OnlyContain(s => s.Bursts > 0 && s.LargestBurst >= 1 && s.PacerLag != null && s.PacerLag.Count == s.Bursts);
        m.Sent.Should().BeGreaterThan(0);
        m.Delivered.Should().Be(m.Sent * fanout);
        m.Errors.Should().Be(0);
        m.Lost.Should().Be(0);
        m.MaxSustainedRate.Should().BeGreaterThan(0);
        m.Latency!.Count.Should().Be(m.Delivered);
        m.Latency.MaxMs.Should().BeGreaterThan(0);
        m.Latency.P50Ms.Should().BeGreaterThan(0);
        m.BenchMicrosecondsPerMessage.Should().BeGreaterThan(0);
    }

    private static async Task<BenchResult> RunAsync(TestServer server, Scenario scenario, Action<BenchOptions>? configure = null, TextWriter? progress = null)
    {
        var options = BenchOptions.ForSmoke(scenario, new XmppEndpoint(IPAddress.Loopback, server.Port));
        options.Domain = server.Domain;
        options.Provisioner = new TestServerProvisioner(server);
        configure?.Invoke(options);
        var result = await BenchRunner.RunAsync(options, progress);

        // Let the server finish tearing the bench's connections down before the test disposes it: stopping a node while
        // a stream is still ending races in ClientConnections.CloseAllAsync (CloseStream on a stream whose token source
        // EndAsync already disposed). A server issue, reported; the bench is not what these tests are about.
        var connections = server.Services.GetRequiredService<ClientConnections>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (connections.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return result;
    }

    /// <summary>Creates accounts straight in the node's storage (the API provisioner).</summary>
    private sealed class TestServerProvisioner(TestServer server) : IUserProvisioner
    {
        public string Method => "api";

        public async Task<bool> ProvisionAsync(int index, string user, string domain, string password, CancellationToken ct)
        {
            await server.CreateUserAsync(user, password);
            return true;
        }
    }
}
