using System.Diagnostics;

namespace Rookery.TestKit;

/// <summary>
/// Polls a condition that another party (the server, a node, a client) makes true in its own time, and fails with what
/// was awaited when it does not come true before the deadline. For the effects a test cannot await directly: a session
/// purged, a message stored offline, a table replicated.
/// </summary>
public static class Eventually
{
    /// <summary>How long a condition may take unless the test says otherwise: generous, for loaded CI machines.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> naming <paramref name="what"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> naming <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Not true within {limit.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
    }
}
