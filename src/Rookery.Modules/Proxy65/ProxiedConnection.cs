using System.IO.Pipelines;

namespace Rookery.Modules.Proxy65;

/// <summary>
/// One SOCKS5 connection that named a stream: its transport, whether its success reply has gone out, and the signal that
/// ends its wait for activation. Its state changes only under the <see cref="BytestreamRegistry"/>'s lock.
/// </summary>
internal sealed class ProxiedConnection(string hash, string connectionId, IDuplexPipe transport) : IDisposable
{
    private readonly CancellationTokenSource _activation = new();

    /// <summary>The stream hash of the CONNECT request.</summary>
    public string Hash { get; } = hash;

    /// <summary>The transport's connection id, for logs.</summary>
    public string ConnectionId { get; } = connectionId;

    /// <summary>The connection's pipes; after activation its peer writes to <see cref="IDuplexPipe.Output"/>.</summary>
    public IDuplexPipe Transport { get; } = transport;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the success reply is flushed: from then on only the peer's relay writes to this connection.</summary>
    public bool IsReady => _ready.Task.IsCompleted;

    /// <summary>Completes when <see cref="IsReady"/> becomes true.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Records that the success reply is flushed (under the registry's lock).</summary>
    public void MarkReady() => _ready.TrySetResult();

    /// <summary>Bytes read from this connection and written to its peer, updated by this connection's relay only.</summary>
    public long BytesRelayed { get; set; }

    /// <summary>Canceled when the stream is activated, which ends the connection's wait.</summary>
    public CancellationToken Activation => _activation.Token;

    /// <summary>Ends the wait: the stream is active.</summary>
    public void Activate()
    {
        try
        {
            _activation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended (its wait timed out and its relay already stopped) just before the activation reached it.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _activation.Dispose();
}
