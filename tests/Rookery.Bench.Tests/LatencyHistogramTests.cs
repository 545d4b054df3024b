using Rookery.Bench.Metrics;

namespace Rookery.Bench.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void ValueAtPercentile_UniformOneToTenThousand_IsWithinBucketPrecision()
    {
        var h = new LatencyHistogram();
        for (var v = 1; v <= 10_000; v++)
        {
            h.Record(v);
        }

        h.Count.Should().Be(10_000);
        h.Min.Should().Be(1);
        h.Max.Should().Be(10_000);
        h.Mean.Should().BeApproximately(5000.5, 0.001);
        h.ValueAtPercentile(50).Should().BeInRange(5000, (long)(5000 * 1.008));
        h.ValueAtPercentile(90).Should().BeInRange(9000, (long)(9000 * 1.008));
        h.ValueAtPercentile(99).Should().BeInRange(9900, (long)(9900 * 1.008));
        h.ValueAtPercentile(100).Should().Be(10_000);
        h.ValueAtPercentile(0).Should().Be(1);
    }

    [Fact]
    public void ValueAtPercentile_SmallValues_AreExact()
    {
        var h = new LatencyHistogram();
        foreach (var v in new long[] { 3, 1, 2, 5, 4 })
        {
            h.Record(v);
        }

        h.ValueAtPercentile(20).Should().Be(1);
        h.ValueAtPercentile(50).Should().Be(3);
        h.ValueAtPercentile(80).Should().Be(4);
        h.ValueAtPercentile(99).Should().Be(5);
    }

    [Fact]
    public void ValueAtPercentile_Empty_IsZero()
    {
        var h = new LatencyHistogram();
        h.ValueAtPercentile(99).Should().Be(0);
        h.Max.Should().Be(0);
        h.Min.Should().Be(0);
        h.Mean.Should().Be(0);
    }

    [Fact]
    public void ValueAtPercentile_TailOfOnePercentOutliers_ShowsInP99ButNotP90()
    {
        var h = new LatencyHistogram();
        for (var i = 0; i < 980; i++)
        {
            h.Record(200);
        }

        for (var i = 0; i < 20; i++)
        {
            h.Record(50_000);
        }

        h.ValueAtPercentile(90).Should().BeInRange(200, 202);
        h.ValueAtPercentile(99).Should().BeInRange(50_000, (long)(50_000 * 1.008));
        h.Max.Should().Be(50_000);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(127L)]
    [InlineData(128L)]
    [InlineData(129L)]
    [InlineData(1_000L)]
    [InlineData(123_456_789L)]
    [InlineData(long.MaxValue)]
    public void Buckets_ContainTheirValue_WithinRelativeErrorBound(long value)
    {
        var index = LatencyHistogram.IndexOf(value);
        index.Should().BeInRange(0, LatencyHistogram.BucketCount - 1);
        LatencyHistogram.LowestEquivalentValue(index).Should().BeLessThanOrEqualTo(value);
        LatencyHistogram.HighestEquivalentValue(index).Should().BeGreaterThanOrEqualTo(value);
        var width = (double)LatencyHistogram.HighestEquivalentValue(index) - LatencyHistogram.LowestEquivalentValue(index);
        (width / Math.Max(1, value)).Should().BeLessThan(0.008);
    }

    [Fact]
    public void Buckets_AreContiguousAndIncreasing()
    {
        for (var i = 1; i < 40 * 128; i++)
        {
            LatencyHistogram.LowestEquivalentValue(i).Should().Be(LatencyHistogram.HighestEquivalentValue(i - 1) + 1, $"bucket {i} follows bucket {i - 1}");
        }
    }

    [Fact]
    public void Record_Negative_CountsAsZero()
    {
        var h = new LatencyHistogram();
        h.Record(-5);
        h.Min.Should().Be(0);
        h.ValueAtPercentile(50).Should().Be(0);
    }

    [Fact]
    public void Add_MergesCountsAndExtremes()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(10);
        a.Record(20);
        b.Record(5);
        b.Record(1000);
        a.Add(b);
        a.Count.Should().Be(4);
        a.Min.Should().Be(5);
        a.Max.Should().Be(1000);
        a.ValueAtPercentile(50).Should().Be(10);
    }

    [Fact]
    public void Record_FromManyThreads_LosesNothing()
    {
        var h = new LatencyHistogram();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 1; i <= 10_000; i++)
            {
                h.Record(i);
            }
        });

        h.Count.Should().Be(80_000);
        h.Max.Should().Be(10_000);
        h.ValueAtPercentile(50).Should().BeInRange(5000, 5040);
    }

    [Fact]
    public void Record_DoesNotAllocate()
    {
        var h = new LatencyHistogram();
        h.Record(1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            h.Record(i);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }
}
