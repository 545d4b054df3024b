using System.Text.Json;
using Rookery.TestKit;

namespace Rookery.Hosting.Tests.Cli;

/// <summary>
/// The runtime settings the built <c>rookery</c> binary starts with (its runtimeconfig.json), as README's "Memory and GC
/// settings" states them: thread-pool workers that do not spin, and the workstation collector.
/// </summary>
public sealed class RuntimeSettingsTests
{
    private static JsonElement ConfigProperties()
    {
        var path = Path.ChangeExtension(RookeryProcess.Dll, ".runtimeconfig.json");
        File.Exists(path).Should().BeTrue($"the build writes {path}");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Fact]
    public void RuntimeConfig_ThreadPoolSpinLimit_IsZero()
    {
        // Issue #6: on one core the workers' spin-wait (sched_yield) took 40 % of the server's CPU at 2,000 msg/s.
        ConfigProperties().TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spin).Should().BeTrue();
        spin.GetInt32().Should().Be(0);
    }

    [Fact]
    public void RuntimeConfig_ServerGc_IsNotEnabled()
    {
        // The server collector keeps a large allocation budget per core: many connections on few cores want the default.
        var properties = ConfigProperties();
        if (properties.TryGetProperty("System.GC.Server", out var server))
        {
            server.GetBoolean().Should().BeFalse();
        }
    }
}
