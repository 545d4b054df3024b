namespace Rookery.Modules.Proxy65;

/// <summary>
/// The two connections of one mediated bytestream: the first to name the hash is the target's, the second the
/// requester's (XEP-0065 §6.3.2, §6.3.4). Once active, each connection's relay copies its bytes to the other; when
/// either direction ends both stop, and <see cref="Ended"/> completes when neither relay touches a connection any more.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The last relay to stop disposes the source (RelayStopped); a pair that is never activated never cancels it.")]
internal sealed class BytestreamPair(ProxiedConnection target)
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running = 2;

    /// <summary>The stream hash.</summary>
    public string Hash { get; } = target.Hash;

    /// <summary>The first connection: the target's (the second becomes the first when the first leaves before activation).</summary>
    public ProxiedConnection Target { get; set; } = target;

    /// <summary>The second connection, the requester's; null until it connects.</summary>
    public ProxiedConnection? Initiator { get; set; }

    /// <summary>True once activated; set under the registry's lock.</summary>
    public bool IsActive { get; set; }

    /// <summary>Canceled when either direction of the relay ends, so that the other stops too.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Completes when both relays have stopped.</summary>
    public Task Ended => _ended.Task;

    /// <summary>The other connection of the pair.</summary>
    public ProxiedConnection PeerOf(ProxiedConnection connection) =>
        ReferenceEquals(connection, Target) ? Initiator ?? throw new InvalidOperationException("The pair has no second connection") : Target;

    /// <summary>Stops both directions (idempotent).</summary>
    public void Stop() => _stopping.Cancel();

    /// <summary>Records that one relay has stopped touching the connections; true for the last of the two.</summary>
    public bool RelayStopped()
    {
        if (Interlocked.Decrement(ref _running) != 0)
        {
            return false;
        }

        // Both relays called Stop before this, so nothing uses the source any more.
        _stopping.Dispose();
        _ended.TrySetResult();
        return true;
    }
}
