using System.Numerics;

namespace Rookery.Bench.Metrics;

/// <summary>
/// A log-linear bucketed histogram in the manner of HdrHistogram: values below 128 are counted exactly, larger ones in
/// 128 buckets per power of two, so any reported value is within 0.8 % of the true one. Recording is lock-free and
/// allocation-free (one interlocked add per counter), so every receive loop can record into one shared instance.
/// Values are unit-less; the bench records microseconds.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBucketCount = 1 << SubBucketBits;

    /// <summary>Buckets needed for every non-negative <see cref="long"/>.</summary>
    internal const int BucketCount = (64 - SubBucketBits) * SubBucketCount;

    private readonly long[] _counts = new long[BucketCount];
    private long _count;
    private long _sum;
    private long _max;
    private long _min = long.MaxValue;

    /// <summary>Samples recorded.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>The largest sample, exact (0 when empty).</summary>
    public long Max => Volatile.Read(ref _max);

    /// <summary>The smallest sample, exact (0 when empty).</summary>
    public long Min => Count == 0 ? 0 : Volatile.Read(ref _min);

    /// <summary>The arithmetic mean (0 when empty).</summary>
    public double Mean => Count == 0 ? 0 : (double)Volatile.Read(ref _sum) / Count;

    /// <summary>Records one sample; negative values count as 0.</summary>
    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        Interlocked.Increment(ref _counts[IndexOf(value)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, value);
        var max = Volatile.Read(ref _max);
        while (value > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, value, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }

        var min = Volatile.Read(ref _min);
        while (value < min)
        {
            var seen = Interlocked.CompareExchange(ref _min, value, min);
            if (seen == min)
            {
                break;
            }

            min = seen;
        }
    }

    /// <summary>Adds every sample of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == 0)
        {
            return;
        }

        for (var i = 0; i < BucketCount; i++)
        {
            var c = Volatile.Read(ref other._counts[i]);
            if (c != 0)
            {
                Interlocked.Add(ref _counts[i], c);
            }
        }

        Interlocked.Add(ref _count, other.Count);
        Interlocked.Add(ref _sum, Volatile.Read(ref other._sum));
        if (other.Max > Max)
        {
            Volatile.Write(ref _max, other.Max);
        }

        if (other.Min < Volatile.Read(ref _min))
        {
            Volatile.Write(ref _min, other.Min);
        }
    }

    /// <summary>
    /// The value below which <paramref name="percentile"/> % of the samples fall: the highest value equivalent to the
    /// bucket that holds that rank (as HdrHistogram reports it), clamped to the exact minimum and maximum.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        long total = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            total += Volatile.Read(ref _counts[i]);
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * total));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Clamp(HighestEquivalentValue(i), Min, Max);
            }
        }

        return Max;
    }

    /// <summary>The bucket of <paramref name="value"/>.</summary>
    internal static int IndexOf(long value)
    {
        if (value < SubBucketCount)
        {
            return (int)value;
        }

        var msb = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var shift = msb - SubBucketBits;
        return ((shift + 1) << SubBucketBits) + (int)((value >> shift) - SubBucketCount);
    }

    /// <summary>The smallest value counted in bucket <paramref name="index"/>.</summary>
    internal static long LowestEquivalentValue(int index)
    {
        if (index < SubBucketCount)
        {
            return index;
        }

        var shift = (index >> SubBucketBits) - 1;
        long mantissa = (index & (SubBucketCount - 1)) + SubBucketCount;
        return mantissa << shift;
    }

    /// <summary>The largest value counted in bucket <paramref name="index"/>.</summary>
    internal static long HighestEquivalentValue(int index)
    {
        if (index < SubBucketCount)
        {
            return index;
        }

        var shift = (index >> SubBucketBits) - 1;
        long mantissa = (index & (SubBucketCount - 1)) + SubBucketCount;
        return ((mantissa + 1) << shift) - 1;
    }
}
