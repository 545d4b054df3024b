using System.Globalization;

namespace Rookery.Bench.Cli;

/// <summary>Parses durations written as <c>200us</c>, <c>500ms</c>, <c>30s</c>, <c>2m</c>, or a plain number of seconds.</summary>
internal static class DurationParser
{
    /// <summary>Parses <paramref name="text"/>; throws <see cref="BenchUsageException"/> naming <paramref name="option"/>.</summary>
    public static TimeSpan Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        double factor = 1_000_000; // microseconds per unit: the smallest unit stays exact
        if (t.EndsWith("us", StringComparison.OrdinalIgnoreCase))
        {
            factor = 1;
            t = t[..^2];
        }
        else if (t.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            factor = 1_000;
            t = t[..^2];
        }
        else if (t.EndsWith('s') || t.EndsWith('S'))
        {
            t = t[..^1];
        }
        else if (t.EndsWith('m') || t.EndsWith('M'))
        {
            factor = 60_000_000;
            t = t[..^1];
        }

        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value))
        {
            throw new BenchUsageException($"{option}: '{text}' is not a duration (e.g. 200us, 500ms, 30s, 2m)");
        }

        return TimeSpan.FromMicroseconds(value * factor);
    }
}
