namespace Rookery.Bench.Metrics;

/// <summary>Percentiles of a <see cref="LatencyHistogram"/> of microsecond samples, in milliseconds.</summary>
/// <param name="Count">Samples.</param>
/// <param name="P50Ms">Median.</param>
/// <param name="P90Ms">90th percentile.</param>
/// <param name="P99Ms">99th percentile.</param>
/// <param name="P999Ms">99.9th percentile.</param>
/// <param name="MaxMs">Largest sample.</param>
/// <param name="MeanMs">Mean.</param>
internal sealed record LatencySummary(long Count, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double MeanMs)
{
    /// <summary>Summarises a histogram whose samples are microseconds.</summary>
    public static LatencySummary FromMicroseconds(LatencyHistogram h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return new LatencySummary(
            h.Count,
            Ms(h.ValueAtPercentile(50)),
            Ms(h.ValueAtPercentile(90)),
            Ms(h.ValueAtPercentile(99)),
            Ms(h.ValueAtPercentile(99.9)),
            Ms(h.Max),
            Math.Round(h.Mean / 1000.0, 3));
    }

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
}
