namespace Rookery.Server.Util;

/// <summary>
/// Serialises read-modify-write sequences per key (for example one account's roster) with a fixed set of async
/// semaphores chosen by hash: bounded memory whatever the number of keys, at the cost of rare false sharing.
/// </summary>
public sealed class StripedLock : IDisposable
{
    private readonly SemaphoreSlim[] _stripes;

    /// <summary>Creates a lock with <paramref name="stripes"/> stripes (rounded up to a power of two).</summary>
    public StripedLock(int stripes = 256)
    {
        var n = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, stripes));
        _stripes = new SemaphoreSlim[n];
        for (var i = 0; i < n; i++)
        {
            _stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>Waits for the stripe of <paramref name="key"/>; dispose the result to release it.</summary>
    public async ValueTask<Releaser> AcquireAsync(object key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = _stripes[key.GetHashCode() & (_stripes.Length - 1)];
        await s.WaitAsync(ct).ConfigureAwait(false);
        return new Releaser(s);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _stripes)
        {
            s.Dispose();
        }
    }

    /// <summary>Releases a stripe when disposed.</summary>
    public readonly struct Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => semaphore.Release();
    }
}
