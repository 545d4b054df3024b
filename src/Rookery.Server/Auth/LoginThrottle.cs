using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Rookery.Server.Hosts;

namespace Rookery.Server.Auth;

/// <summary>
/// Slows down password guessing: every failed authentication is answered after a delay that doubles with each
/// recent failure from the same address, up to a cap; a success or ten quiet minutes reset it.
/// </summary>
public sealed class LoginThrottle(IOptions<ServerOptions> options, TimeProvider time)
{
    private static readonly TimeSpan Forget = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<IPAddress, (int Failures, DateTimeOffset Last)> _failures = new();

    /// <summary>Records a failure from <paramref name="address"/> and returns how long to wait before answering.</summary>
    public TimeSpan RecordFailure(IPAddress? address)
    {
        var auth = options.Value.Auth;
        var now = time.GetUtcNow();
        var failures = 1;
        if (address is not null)
        {
            var entry = _failures.AddOrUpdate(
                address,
                _ => (1, now),
                (_, old) => (now - old.Last > Forget ? 1 : old.Failures + 1, now));
            failures = entry.Failures;
            if (_failures.Count > 100_000)
            {
                Prune(now);
            }
        }

        var ms = (double)auth.FailureDelayMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20));
        return TimeSpan.FromMilliseconds(Math.Min(ms, auth.MaxFailureDelayMilliseconds));
    }

    /// <summary>Forgets the failures of an address after a successful login.</summary>
    public void RecordSuccess(IPAddress? address)
    {
        if (address is not null)
        {
            _failures.TryRemove(address, out _);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var kv in _failures)
        {
            if (now - kv.Value.Last > Forget)
            {
                _failures.TryRemove(kv.Key, out _);
            }
        }
    }
}
