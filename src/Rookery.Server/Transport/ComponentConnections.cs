using System.Collections.Concurrent;
using Rookery.Protocol.Errors;
using Rookery.Server.Streams;

namespace Rookery.Server.Transport;

/// <summary>Every open component stream (XEP-0114), so that shutdown can close each one with a stream error.</summary>
public sealed class ComponentConnections
{
    private readonly ConcurrentDictionary<ComponentStream, byte> _open = new();

    /// <summary>The number of open component connections, authenticated or not.</summary>
    public int Count => _open.Count;

    internal void Add(ComponentStream stream) => _open.TryAdd(stream, 0);

    internal void Remove(ComponentStream stream) => _open.TryRemove(stream, out _);

    /// <summary>Closes every stream with <c>system-shutdown</c> and waits (bounded) until they are gone.</summary>
    public async Task CloseAllAsync(TimeSpan timeout, CancellationToken ct = default)
    {
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
