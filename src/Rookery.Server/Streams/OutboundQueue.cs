using System.Buffers;
using System.Threading.Tasks.Sources;

namespace Rookery.Server.Streams;

/// <summary>
/// A stream's outgoing queue: any thread writes, the stream's one writer loop reads, in the order written. It does what
/// the single-reader channel did for the writer loop (<see cref="WaitToReadAsync"/>, <see cref="TryRead"/>, completion)
/// with one small object: the items live in an array from <see cref="ArrayPool{T}"/> that goes back to the pool whenever
/// the writer loop has drained the queue and waits, so an idle connection holds no slots, and the wait is this object
/// itself rather than a separate reusable operation (issue #6: ≤ 8 KiB per idle connection). Unbounded, like the channel
/// it replaces: each stream counts the stanzas it queues against its limit itself (<c>Limits:MaxOutboundQueue</c> for
/// clients, <c>Limits:MaxLinkOutboundQueue</c> for server-to-server and component streams).
/// </summary>
internal sealed class OutboundQueue : IValueTaskSource<bool>
{
    private const int InitialCapacity = 16; // the smallest array the shared pool hands out

    private Outbound[]? _items; // a ring of _count items from _head; null while empty and the reader waits
    private int _head;
    private int _count;
    private bool _completed;
    private bool _readerWaiting;

    // The reader's continuation runs on the thread pool, never on the writing thread: a routing thread must not end up
    // running the recipient's writer loop (serialising and flushing) inline.
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };

    /// <summary>True while the queue holds an array of slots (for tests: a drained queue whose reader waits holds none).</summary>
    internal bool HoldsSlots
    {
        get
        {
            lock (this)
            {
                return _items is not null;
            }
        }
    }

    /// <summary>Queues <paramref name="item"/>; false once the queue is completed.</summary>
    public bool TryWrite(Outbound item)
    {
        bool wake;
        lock (this)
        {
            if (_completed)
            {
                return false;
            }

            var items = _items ??= ArrayPool<Outbound>.Shared.Rent(InitialCapacity);
            if (_count == items.Length)
            {
                items = Grow(items);
            }

            var tail = _head + _count;
            items[tail < items.Length ? tail : tail - items.Length] = item;
            _count++;
            wake = _readerWaiting;
            _readerWaiting = false;
        }

        if (wake)
        {
            _waiter.SetResult(true);
        }

        return true;
    }

    /// <summary>Marks the queue complete: nothing more can be written, and the reader sees the end once it has read everything.</summary>
    public bool TryComplete()
    {
        bool wake;
        lock (this)
        {
            if (_completed)
            {
                return false;
            }

            _completed = true;
            wake = _readerWaiting; // a waiting reader has an empty queue: its wait ends with "no more"
            _readerWaiting = false;
        }

        if (wake)
        {
            _waiter.SetResult(false);
        }

        return true;
    }

    /// <summary>Takes the oldest item; false when the queue is empty. Only the writer loop calls it.</summary>
    public bool TryRead(out Outbound item)
    {
        lock (this)
        {
            if (_count == 0)
            {
                item = default;
                return false;
            }

            var items = _items!;
            item = items[_head];
            items[_head] = default; // the pool must not keep the element alive
            _count--;
            _head = _count == 0 || _head + 1 == items.Length ? 0 : _head + 1;
            return true;
        }
    }

    /// <summary>
    /// Looks at the oldest item without taking it; false when the queue is empty. Only the writer loop calls it: a writer
    /// that takes an item off only once it is written leaves what it never wrote for the stream's teardown to route again.
    /// </summary>
    public bool TryPeek(out Outbound item)
    {
        lock (this)
        {
            if (_count == 0)
            {
                item = default;
                return false;
            }

            item = _items![_head];
            return true;
        }
    }

    /// <summary>
    /// Completes with true when an item can be read, with false when the queue is completed and empty. Only the writer
    /// loop calls it, and only once its previous wait has completed.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (this)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                ReleaseItems();
                return new ValueTask<bool>(false);
            }

            // Drained: the array goes back to the pool while the connection is quiet.
            ReleaseItems();
            _waiter.Reset();
            _readerWaiting = true;
            return new ValueTask<bool>(this, _waiter.Version);
        }
    }

    /// <inheritdoc />
    bool IValueTaskSource<bool>.GetResult(short token) => _waiter.GetResult(token);

    /// <inheritdoc />
    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    /// <inheritdoc />
    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    private Outbound[] Grow(Outbound[] items)
    {
        var bigger = ArrayPool<Outbound>.Shared.Rent(items.Length * 2);
        var firstPart = Math.Min(_count, items.Length - _head);
        items.AsSpan(_head, firstPart).CopyTo(bigger);
        items.AsSpan(0, _count - firstPart).CopyTo(bigger.AsSpan(firstPart));
        Array.Clear(items);
        ArrayPool<Outbound>.Shared.Return(items);
        _head = 0;
        _items = bigger;
        return bigger;
    }

    private void ReleaseItems()
    {
        if (_items is { } items)
        {
            // Every slot was cleared as it was read.
            _items = null;
            _head = 0;
            ArrayPool<Outbound>.Shared.Return(items);
        }
    }
}
