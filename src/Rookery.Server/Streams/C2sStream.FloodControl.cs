using Microsoft.Extensions.Logging;
using Rookery.Server.Routing;

namespace Rookery.Server.Streams;

/// <content>
/// Backpressure from a slow destination to the client flooding it. A stream whose outgoing queue grows past a tenth of
/// <c>Limits:MaxOutboundQueue</c> notes itself on the routing thread (<see cref="Backpressure"/>), as a node link does
/// whose peer falls behind acknowledging; the client stream whose stanza was being routed then stops reading its own
/// socket until that destination is down to half of that level again (or for at most <see cref="MaxFloodPause"/>). So
/// a sender that outpaces its recipient is slowed down through TCP, the way ejabberd's shapers slow it, instead of the
/// recipient's stream being cut off with <c>resource-constraint</c> once the queue limit is reached — which still
/// happens to a recipient that stops reading altogether: once a pause for it has run out, senders are not paused for it
/// again until it catches up.
/// </content>
public sealed partial class C2sStream : ICongestible
{
    /// <summary>The longest a sender waits for one congested destination before it reads on.</summary>
    internal static readonly TimeSpan MaxFloodPause = TimeSpan.FromSeconds(5);

    private readonly DrainSignal _drain = new();

    private int CongestionLevel => Math.Max(1, _services.Options.Limits.MaxOutboundQueue / 10);

    /// <inheritdoc />
    int ICongestible.Backlog => Volatile.Read(ref _queued);

    /// <inheritdoc />
    void ICongestible.MarkStuck() => _drain.MarkStuck();

    /// <summary>Called by <see cref="Write"/> with the queue length including the new stanza.</summary>
    private void NoteQueueLength(int queued)
    {
        if (queued > CongestionLevel && !_drain.IsStuck)
        {
            Backpressure.Note(this);
        }
    }

    /// <summary>
    /// After a stanza from this client was handled: when it went to a congested destination, waits until that one
    /// caught up (or the pause limit passed, or this stream closes) before the read loop reads on.
    /// </summary>
    private async ValueTask PauseWhileRecipientCongestedAsync()
    {
        // A client flooding itself would wait on its own writer, which waits on the client reading: no pause for that.
        if (Backpressure.Take() is not { } destination || ReferenceEquals(destination, this))
        {
            return;
        }

        Log.FloodPaused(Logger, _connection.ConnectionId, destination.Backlog);
        try
        {
            await destination.DrainedAsync().WaitAsync(MaxFloodPause, _services.Time, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            // This stream is closing: the read loop's next read ends it.
        }
        catch (TimeoutException)
        {
            destination.MarkStuck();
            Log.FloodPauseExpired(Logger, _connection.ConnectionId, destination.Backlog);
        }
    }

    /// <inheritdoc />
    Task ICongestible.DrainedAsync()
    {
        var drained = _drain.WaitAsync();
        // The writer may have drained the queue between the sender's note and now: check after publishing the waiter.
        ReleaseDrainWaiters(onlyIfDrained: true);
        return drained;
    }

    /// <summary>Called by the writer loop after each flush, and with <paramref name="onlyIfDrained"/> false when it ends.</summary>
    private void ReleaseDrainWaiters(bool onlyIfDrained)
    {
        if (onlyIfDrained && Volatile.Read(ref _queued) > CongestionLevel / 2 && Volatile.Read(ref _closeRequested) == 0)
        {
            return;
        }

        _drain.Release();
    }
}
