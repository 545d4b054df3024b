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

    /// <summary>
    /// Sends every stream to another node with <c>see-other-host</c> (RFC 6120 §4.9.3.19: the client reconnects there)
    /// and waits (bounded) until they are gone; used when a cluster node drains.
    /// </summary>
    public async Task RedirectAllAsync(string host, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        IsShuttingDown = true;
        foreach (var s in _open.Keys)
        {
            s.Redirect(host, "This node is leaving the cluster");
        }

        await WaitUntilEmptyAsync(timeout, ct).ConfigureAwait(false);
    }

    private async Task WaitUntilEmptyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_open.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

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
