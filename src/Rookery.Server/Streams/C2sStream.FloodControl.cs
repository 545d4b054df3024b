using Microsoft.Extensions.Logging;

namespace Rookery.Server.Streams;

/// <content>
/// Backpressure from a slow recipient to the client flooding it. A stream whose outgoing queue grows past a tenth of
/// <c>Limits:MaxOutboundQueue</c> notes itself on the routing thread; the client stream whose stanza was being routed
/// then stops reading its own socket until that queue is down to half of that level again (or for at most
/// <see cref="MaxFloodPause"/>). So a sender that outpaces its recipient is slowed down through TCP, the way ejabberd's
/// shapers slow it, instead of the recipient's stream being cut off with <c>resource-constraint</c> once the queue limit
/// is reached — which still happens to a recipient that stops reading altogether: once a pause for it has run out,
/// senders are not paused for it again until it catches up.
/// </content>
public sealed partial class C2sStream
{
    /// <summary>The longest a sender waits for one congested recipient before it reads on.</summary>
    internal static readonly TimeSpan MaxFloodPause = TimeSpan.FromSeconds(5);

    // The congested recipient of the stanza the current thread is routing. Routing to a local session is synchronous on
    // the sender's read loop, so a thread-static is enough and costs the hot path one field access; a recipient reached
    // after an await (storage) is simply not seen, and link readers, components and S2S streams never look at it.
    [ThreadStatic]
    private static C2sStream? t_congestedRecipient;

    // Completed when the queue drained below the resume level (or the stream ended); shared by every waiting sender.
    private TaskCompletionSource? _drained;

    // Set when a sender's pause for this stream ran out without the queue draining: the client has stopped reading, so
    // senders are not paused for it again (the queue limit ends its stream) until it catches up.
    private int _stuck;

    private int CongestionLevel => Math.Max(1, _services.Options.Limits.MaxOutboundQueue / 10);

    /// <summary>Called by <see cref="Write"/> with the queue length including the new stanza.</summary>
    private void NoteQueueLength(int queued)
    {
        if (queued > CongestionLevel && Volatile.Read(ref _stuck) == 0)
        {
            t_congestedRecipient = this;
        }
    }

    private static C2sStream? TakeCongestedRecipient()
    {
        var recipient = t_congestedRecipient;
        if (recipient is not null)
        {
            t_congestedRecipient = null;
        }

        return recipient;
    }

    /// <summary>
    /// After a stanza from this client was handled: when it went to a congested recipient, waits until that recipient
    /// caught up (or the pause limit passed, or this stream closes) before the read loop reads on.
    /// </summary>
    private async ValueTask PauseWhileRecipientCongestedAsync()
    {
        // A client flooding itself would wait on its own writer, which waits on the client reading: no pause for that.
        if (TakeCongestedRecipient() is not { } recipient || ReferenceEquals(recipient, this))
        {
            return;
        }

        var queued = Volatile.Read(ref recipient._queued);
        Log.FloodPaused(Logger, _connection.ConnectionId, queued);
        try
        {
            await recipient.DrainedAsync().WaitAsync(MaxFloodPause, _services.Time, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            // This stream is closing: the read loop's next read ends it.
        }
        catch (TimeoutException)
        {
            Volatile.Write(ref recipient._stuck, 1);
            queued = Volatile.Read(ref recipient._queued);
            Log.FloodPauseExpired(Logger, _connection.ConnectionId, queued);
        }
    }

    /// <summary>Completes once this stream's queue is at most half the congestion level, or the stream has ended.</summary>
    private Task DrainedAsync()
    {
        var waiter = Volatile.Read(ref _drained);
        if (waiter is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = Interlocked.CompareExchange(ref _drained, created, null) ?? created;
        }

        // The writer may have drained the queue between the sender's note and now: check after publishing the waiter.
        ReleaseDrainWaiters(onlyIfDrained: true);
        return waiter.Task;
    }

    /// <summary>Called by the writer loop after each flush, and with <paramref name="onlyIfDrained"/> false when it ends.</summary>
    private void ReleaseDrainWaiters(bool onlyIfDrained)
    {
        if (onlyIfDrained && Volatile.Read(ref _queued) > CongestionLevel / 2 && Volatile.Read(ref _closeRequested) == 0)
        {
            return;
        }

        if (Volatile.Read(ref _stuck) != 0)
        {
            Volatile.Write(ref _stuck, 0);
        }

        var waiter = Volatile.Read(ref _drained);
        if (waiter is null)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _drained, null, waiter) == waiter)
        {
            waiter.TrySetResult();
        }
    }
}
