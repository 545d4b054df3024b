using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Rookery.Protocol.Xml;
using Rookery.Server.Streams;

namespace Rookery.Server.Web;

/// <summary>
/// One BOSH session (XEP-0124, XEP-0206): a <see cref="C2sStream"/> whose input is the payloads of the client's
/// requests, in 'rid' order, and whose output waits in a queue for the next held request. A request is held up to
/// 'wait' seconds; at most 'hold' are held, a newer one releases the older.
/// </summary>
internal sealed class BoshSession : StreamFraming
{
    private readonly object _lock = new();
    private readonly List<byte[]> _pending = [];
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private readonly bool _secure;
    private TaskCompletionSource _signal = NewSignal();
    private long _nextRid;
    private bool _ended;

    public BoshSession(string sid, long rid, int wait, int hold, int inactivity, bool secure, TimeProvider time)
    {
        Sid = sid;
        _nextRid = rid + 1;
        Wait = wait;
        Hold = hold;
        Inactivity = inactivity;
        _secure = secure;
        Time = time;
        LastActivity = time.GetTimestamp();
        Input = new Pipe(new PipeOptions(useSynchronizationContext: false));
        Output = new MessagePipeWriter(EnqueueAsync);
    }

    public string Sid { get; }

    public int Wait { get; }

    public int Hold { get; }

    /// <summary>XEP-0124 §7: the client may keep this many requests open at once.</summary>
    public int Requests => Hold + 1;

    public int Inactivity { get; }

    public TimeProvider Time { get; }

    /// <summary>The stream id of the last (re)started stream: the session creation response's 'authid'.</summary>
    public string? StreamId { get; private set; }

    /// <summary>The domain the stream serves ('from' of the session creation response).</summary>
    public string? From { get; private set; }

    public Pipe Input { get; }

    public MessagePipeWriter Output { get; }

    /// <summary>The number of requests waiting for output now.</summary>
    public int Held { get; private set; }

    /// <summary>When the last request arrived or was answered (for the 'inactivity' limit).</summary>
    public long LastActivity { get; private set; }

    /// <summary>True once the stream ended: every further answer is a terminate body.</summary>
    public bool Ended
    {
        get
        {
            lock (_lock)
            {
                return _ended;
            }
        }
    }

    /// <summary>Serialises request handling: a session's requests feed one stream in 'rid' order.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <inheritdoc />
    public override bool IsSecure => _secure;

    /// <summary>
    /// Checks a request's 'rid' against the window (XEP-0124 §14.2): the next expected one is accepted, one further
    /// ahead within 'requests' waits for those before it, anything else is refused.
    /// </summary>
    public async Task<bool> AwaitTurnAsync(long rid, CancellationToken ct)
    {
        var deadline = Time.GetTimestamp();
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                if (rid == _nextRid)
                {
                    _nextRid++;
                    LastActivity = Time.GetTimestamp();
                    return true;
                }

                if (rid < _nextRid || rid >= _nextRid + Requests || Time.GetElapsedTime(deadline) > TimeSpan.FromSeconds(Wait))
                {
                    return false;
                }

                signal = _signal.Task;
            }

            // An earlier request is still on its way: wait for the queue to move (bounded by 'wait').
            await signal.WaitAsync(TimeSpan.FromSeconds(1), Time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Waits (up to 'wait' seconds, or until a newer request releases this one) for output, then takes all of it.
    /// Returns the queued messages and whether the stream has ended.
    /// </summary>
    public async Task<(List<byte[]> Messages, bool Ended)> TakeAsync(bool mayHold, CancellationToken ct)
    {
        Task signal;
        lock (_lock)
        {
            // A newer request releases those already held (XEP-0124 §11: never more than 'hold').
            Release();
            if (_pending.Count > 0 || _ended || !mayHold)
            {
                return TakeLocked();
            }

            Held++;
            signal = _signal.Task;
        }

        try
        {
            await signal.WaitAsync(TimeSpan.FromSeconds(Wait), Time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            lock (_lock)
            {
                Held--;
                LastActivity = Time.GetTimestamp();
            }
        }

        lock (_lock)
        {
            return TakeLocked();
        }
    }

    /// <summary>Marks the stream ended and answers every held request.</summary>
    public void End()
    {
        lock (_lock)
        {
            _ended = true;
            Release();
        }
    }

    /// <inheritdoc />
    public override void WriteHeader(string from, string id)
    {
        // XEP-0206 §5: the stream header is not sent; its id and domain travel as the creation response's attributes.
        lock (_lock)
        {
            StreamId = id;
            From = from;
        }
    }

    /// <inheritdoc />
    public override void WriteElement(Element element)
    {
        WebSocketFraming.WriteStandalone(element, Output, _scratch);
        Output.EndMessage();
    }

    /// <inheritdoc />
    public override void WriteAckRequest()
    {
        Output.Write("<r xmlns='urn:xmpp:sm:3'/>"u8);
        Output.EndMessage();
    }

    /// <inheritdoc />
    public override void WriteClose(string? seeOtherUri)
    {
        // The stream's end is the terminate body, sent once the queued output (a stream error, say) has gone.
        End();
    }

    /// <inheritdoc />
    public override string? SeeOtherUri(string host) => null;

    private (List<byte[]> Messages, bool Ended) TakeLocked()
    {
        var messages = new List<byte[]>(_pending);
        _pending.Clear();
        return (messages, _ended);
    }

    private ValueTask<bool> EnqueueAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_ended)
            {
                return ValueTask.FromResult(false);
            }

            _pending.Add(message.ToArray());
            Release();
        }

        return ValueTask.FromResult(true);
    }

    private void Release()
    {
        var old = _signal;
        _signal = NewSignal();
        old.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The body of an answer: the queued messages inside one &lt;body/&gt; (XEP-0124 §8).</summary>
    public static string Body(List<byte[]> messages, bool terminate, string? condition = null, string? extraAttributes = null)
    {
        var text = new StringBuilder("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'");
        if (terminate)
        {
            text.Append(" type='terminate'");
            if (condition is not null)
            {
                text.Append(" condition='").Append(condition).Append('\'');
            }
        }

        if (extraAttributes is not null)
        {
            text.Append(extraAttributes);
        }

        if (messages.Count == 0)
        {
            return text.Append("/>").ToString();
        }

        text.Append('>');
        foreach (var m in messages)
        {
            text.Append(Encoding.UTF8.GetString(m));
        }

        return text.Append("</body>").ToString();
    }
}
