using System.Collections.Concurrent;
using Rookery.Protocol.Errors;
using Rookery.Server.Streams;

namespace Rookery.Server.Transport;

/// <summary>Every open client stream, bound or not, so that shutdown can close each one with a stream error.</summary>
public sealed class ClientConnections
{
    private readonly ConcurrentDictionary<C2sStream, byte> _open = new();

    /// <summary>True once shutdown began: sessions then end instead of waiting for resumption.</summary>
    public bool IsShuttingDown { get; private set; }

    /// <summary>The number of open client connections.</summary>
    public int Count => _open.Count;

    internal void Add(C2sStream stream) => _open.TryAdd(stream, 0);

    internal void Remove(C2sStream stream) => _open.TryRemove(stream, out _);

    /// <summary>A snapshot of the open streams (for the idle watchdog).</summary>
    internal ICollection<C2sStream> Snapshot() => _open.Keys;

    /// <summary>Closes every stream with <c>system-shutdown</c> and waits (bounded) until they are gone.</summary>
    public async Task CloseAllAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        IsShuttingDown = true;
        foreach (var s in _open.Keys)
        {
            s.CloseStream(StreamErrorCondition.SystemShutdown, "The server is shutting down");
        }

        var deadline = DateTime.UtcNow + timeout;
        while (!_open.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }
}
