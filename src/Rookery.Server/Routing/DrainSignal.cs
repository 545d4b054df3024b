namespace Rookery.Server.Routing;

/// <summary>
/// The senders waiting for one congested destination (<see cref="ICongestible"/>) to drain, and whether it is stuck.
/// One task is shared by every waiting sender; the destination calls <see cref="Release"/> when it is back under its
/// resume level or has ended.
/// </summary>
public sealed class DrainSignal
{
    private TaskCompletionSource? _drained;
    private int _stuck;

    /// <summary>True after <see cref="MarkStuck"/>, until the next <see cref="Release"/>.</summary>
    public bool IsStuck => Volatile.Read(ref _stuck) != 0;

    /// <summary>A sender's pause ran out: senders are not paused for the destination again until it drains.</summary>
    public void MarkStuck() => Volatile.Write(ref _stuck, 1);

    /// <summary>
    /// The task a sender waits on. The destination may have drained between the sender's note and now: it must check
    /// its level after this call and <see cref="Release"/> if it is under it.
    /// </summary>
    public Task WaitAsync()
    {
        var waiter = Volatile.Read(ref _drained);
        if (waiter is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = Interlocked.CompareExchange(ref _drained, created, null) ?? created;
        }

        return waiter.Task;
    }

    /// <summary>The destination drained (or ended): the waiting senders read on, and it is no longer stuck.</summary>
    public void Release()
    {
        if (Volatile.Read(ref _stuck) != 0)
        {
            Volatile.Write(ref _stuck, 0);
        }

        var waiter = Volatile.Read(ref _drained);
        if (waiter is not null && Interlocked.CompareExchange(ref _drained, null, waiter) == waiter)
        {
            waiter.TrySetResult();
        }
    }
}
