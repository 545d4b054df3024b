using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>
/// Group commit for archive writes, one per node: the archiving hooks of every stream queue their entries here, and one
/// loop writes whatever is waiting as one transaction (<see cref="IMessageArchiveStore.AppendManyAsync"/>), so that many
/// messages share one durable commit and archiving throughput grows with concurrency instead of being capped by the
/// storage's fsync latency. Each caller still awaits its own entry, so the stanza-id a message carries is backed by storage
/// and a query right after it sees it.
/// </summary>
/// <remarks>
/// No timer: the loop writes as soon as something is queued and it is free, and batches what accumulated while the
/// previous commit ran, so an idle server adds no latency. Stopping flushes what is queued; appends after that go to
/// the store one by one.
/// </remarks>
public sealed partial class MamArchiveWriter : IHostedService, IAsyncDisposable
{
    /// <summary>The most entries written in one transaction.</summary>
    public const int MaxBatchSize = 256;

    /// <summary>How many entries may wait before appending callers are held back (back-pressure on the streams).</summary>
    public const int QueueCapacity = 4096;

    private readonly IMessageArchiveStore _store;
    private readonly ILogger<MamArchiveWriter> _logger;
    private readonly Channel<PendingAppend> _queue = Channel.CreateBounded<PendingAppend>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly object _startLock = new();
    private Task? _loop;
    private long _commits;
    private long _written;

    /// <summary>Creates the writer over the archive store; its loop starts with the first append.</summary>
    public MamArchiveWriter(IMessageArchiveStore store, ILogger<MamArchiveWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _logger = logger;
    }

    /// <summary>How many batches (transactions) the writer has committed or tried to commit.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>How many entries those batches held.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>
    /// Adds a message to <paramref name="owner"/>'s archive as part of the next batch; completes once that batch is
    /// durable, with false when the archive already had the id, or faults with the batch's error.
    /// </summary>
    /// <remarks>
    /// <paramref name="ct"/> only stops waiting for room in the queue: once queued, an entry is committed with its batch
    /// (as a single append past its commit is), and the caller waits for that.
    /// </remarks>
    public async Task<bool> AppendAsync(string owner, ArchivedMessage message, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(message);
        // Checked here, not by the store: one bad entry must not fail the batch it would share with others.
        ArgumentException.ThrowIfNullOrEmpty(message.Id, nameof(message));
        ArgumentException.ThrowIfNullOrEmpty(message.With, nameof(message));
        ArgumentNullException.ThrowIfNull(message.StanzaXml, nameof(message));
        EnsureStarted();
        // The entry is its own completion source: one allocation per message besides the message itself.
        var pending = new PendingAppend(owner, message);
        try
        {
            await _queue.Writer.WriteAsync(pending, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Stopped (shutdown): nothing batches any more, so the entry is written on its own.
            return await _store.AppendAsync(owner, message, ct).ConfigureAwait(false);
        }

        return await pending.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        return Task.CompletedTask;
    }

    /// <summary>Stops taking entries and writes those already queued; returns once they are committed.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        Task? loop;
        lock (_startLock)
        {
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private void EnsureStarted()
    {
        if (Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _loop ??= Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>(MaxBatchSize);
        var entries = new List<ArchiveAppend>(MaxBatchSize);
        // Ends once the queue is completed (StopAsync) and drained: shutdown flushes what is queued.
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                entries.Add(new ArchiveAppend(pending.Owner, pending.Message));
            }

            await CommitAsync(batch, entries).ConfigureAwait(false);
            batch.Clear();
            entries.Clear();
        }
    }

    private async Task CommitAsync(List<PendingAppend> batch, List<ArchiveAppend> entries)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _written, batch.Count);
        IReadOnlyList<bool> stored;
        try
        {
            // Not cancellable: a queued entry is committed or failed, never dropped.
            stored = await _store.AppendManyAsync(entries, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The whole transaction rolled back: every waiter of the batch fails, as a single append would.
            Log.BatchFailed(_logger, e, batch.Count);
            foreach (var pending in batch)
            {
                pending.TrySetException(e);
            }

            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].TrySetResult(stored[i]);
        }
    }

    /// <summary>A queued entry and the completion its caller awaits; continuations run off the writer's loop.</summary>
    private sealed class PendingAppend(string owner, ArchivedMessage message)
        : TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public string Owner { get; } = owner;

        public ArchivedMessage Message { get; } = message;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5040, Level = LogLevel.Error, Message = "Committing a batch of {Count} archived messages failed; each of them is delivered unarchived")]
        public static partial void BatchFailed(ILogger logger, Exception e, int count);
    }
}
