using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Bench.Net;
using Rookery.Server.Transport;
using Rookery.TestKit;

namespace Rookery.Bench.Tests;

/// <summary><c>--provision-once</c>: one bulk command creates every account before the scenario (issue #6).</summary>
[Trait("Category", "Slow")]
public sealed class ProvisionOnceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rookery-bench-once-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A lingering SQLite handle on a slow machine; the temp folder is harmless.
        }
    }

    [Fact]
    public async Task ProvisionOnce_RookeryAddRange_ThenLoginSmoke_AllUsersOnline()
    {
        var data = Path.Combine(_folder, "data");
        var options = new BenchOptions
        {
            Scenario = Scenario.Login,
            Targets = [new XmppEndpoint(IPAddress.Loopback, 1)],
            ProvisionOnceCommand = $"dotnet \"{RookeryProcess.Dll}\" user add-range {{pattern}}@{{domain}} --from {{from}} --count {{count}} --password {{password}} --iterations 64 --data \"{data}\"",
        };
        options.ApplySmokeDefaults();
        options.UserPattern = "once{0}";
        options.Password = "s3cret";

        // Provisioning happens before any connection: run it alone first by pointing at a server started afterwards.
        var provisioned = await RunProvisionOnlyAsync(options);
        provisioned.Method.Should().Be("once");
        provisioned.Failed.Should().Be(0, provisioned.FirstError);
        provisioned.Output.Should().Contain($"Created {options.Users} accounts");

        await using var server = await TestServer.StartAsync(o => o.DataDirectory = data);
        options.Targets = [new XmppEndpoint(IPAddress.Loopback, server.Port)];
        options.ProvisionOnceCommand = null;
        var result = await BenchRunner.RunAsync(options);

        result.Clean.Should().BeTrue(string.Join("; ", result.Problems));
        result.Login!.Succeeded.Should().Be(options.Users);
        await WaitForNoConnectionsAsync(server);
    }

    [Fact]
    public async Task ProvisionOnce_CommandFails_EveryAccountCountsAsFailedWithTheOutput()
    {
        var options = new BenchOptions { Scenario = Scenario.Login, Targets = [new XmppEndpoint(IPAddress.Loopback, 1)], ProvisionOnceCommand = "sh -c \"echo nope {count} >&2; exit 3\"" };
        options.ApplySmokeDefaults();

        var result = await RunProvisionOnlyAsync(options);

        result.Failed.Should().Be(options.Users);
        result.FirstError.Should().Contain("exited with 3").And.Contain($"nope {options.Users}");
    }

    [Fact]
    public async Task ProvisionOnce_WithPerUserProvisioning_IsAUsageError()
    {
        var options = new BenchOptions
        {
            Scenario = Scenario.Login,
            Targets = [new XmppEndpoint(IPAddress.Loopback, 1)],
            ProvisionOnceCommand = "true",
            Register = true,
        };

        var act = () => BenchRunner.RunAsync(options);

        (await act.Should().ThrowAsync<BenchUsageException>()).Which.Message.Should().Contain("alternatives");
    }

    [Fact]
    public async Task ProvisionOnce_MissingProgram_IsAUsageError()
    {
        var options = new BenchOptions { Scenario = Scenario.Login, Targets = [new XmppEndpoint(IPAddress.Loopback, 1)], ProvisionOnceCommand = "/nonexistent/rookery-provision {count}" };
        options.ApplySmokeDefaults();

        var act = () => Provisioning.OnceProvisioner.RunAsync(options, TextWriter.Null, CancellationToken.None);

        (await act.Should().ThrowAsync<BenchUsageException>()).Which.Message.Should().Contain("/nonexistent/rookery-provision");
    }

    private static Task<Reporting.ProvisionResult> RunProvisionOnlyAsync(BenchOptions options)
    {
        options.Validate();
        return Provisioning.OnceProvisioner.RunAsync(options, TextWriter.Null, CancellationToken.None);
    }

    private static async Task WaitForNoConnectionsAsync(TestServer server)
    {
        var connections = server.Services.GetRequiredService<ClientConnections>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (connections.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }
}
