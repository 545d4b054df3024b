using Rookery.Bench.Metrics;
using Rookery.Bench.Net;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Scenarios;

/// <summary>What every scenario gets: the options, the shared SCRAM key cache, and where progress goes.</summary>
internal sealed class BenchContext(BenchOptions options, ScramKeyCache keys, TextWriter progress, bool overwriteProgress)
{
    /// <summary>The run's options.</summary>
    public BenchOptions Options { get; } = options;

    /// <summary>SCRAM keys shared by all logins.</summary>
    public ScramKeyCache Keys { get; } = keys;

    /// <summary>Server RSS captured by the scenario while its connections were still open, KiB.</summary>
    public long? ServerRssLoadedKiB { get; private set; }

    /// <summary>Starts a once-a-second progress line.</summary>
    public ProgressReporter StartProgress(Func<string> render) => new(progress, overwriteProgress, TimeSpan.FromSeconds(1), render);

    /// <summary>Reads the server's RSS now (call before closing the connections).</summary>
    public long? CaptureServerRss()
    {
        ServerRssLoadedKiB = Options.ServerPid is { } pid ? ProcessProbe.ReadRssKiB(pid) : null;
        return ServerRssLoadedKiB;
    }
}
