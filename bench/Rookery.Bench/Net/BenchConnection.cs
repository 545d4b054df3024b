using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Rookery.Bench.Net;

/// <summary>
/// One client connection of the load generator: a socket (optionally bound to a chosen loopback source address), a
/// receive buffer scanned in place by <see cref="XmlFramer"/>, and a send side that appends to a pending buffer and
/// writes it with one socket call per flush, double-buffered so the pacer never waits for a write in flight.
/// During login the connection is driven step by step (<see cref="ReadElementAsync"/>); afterwards one read loop
/// (<see cref="StartReceiving"/>) hands every stanza to an <see cref="IStanzaHandler"/>.
/// </summary>
internal sealed class BenchConnection : IAsyncDisposable
{
    private const int InitialReceiveBuffer = 4096;
    private const int ThroughputReceiveBuffer = 64 * 1024;
    private const int MaxElementBytes = 1 << 20;
    private const int InitialSendBuffer = 2048;

    private readonly Socket _socket;
    private readonly Lock _sendLock = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Stream _stream;
    private byte[] _rx = new byte[InitialReceiveBuffer];
    private int _rxStart;
    private int _rxEnd;
    private bool _lastReadFilled;
    private XmlFramer _framer;
    private byte[] _pending = new byte[InitialSendBuffer];
    private byte[]? _spare = new byte[InitialSendBuffer];
    private int _pendingCount;
    private bool _writing;
    private int _closed;
    private int _closing;
    private bool _receiving;
    private long _delivered;
    private IStanzaHandler? _handler;

    private BenchConnection(int index, string user, Socket socket)
    {
        Index = index;
        User = user;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>The connection's number in its scenario.</summary>
    public int Index { get; }

    /// <summary>The account's local part.</summary>
    public string User { get; }

    /// <summary>The full JID the server bound, once logged in.</summary>
    public string? Jid { get; set; }

    /// <summary>The pre-serialised start of a chat message to this connection, up to and including <c>&lt;body&gt;</c>.</summary>
    public byte[]? MessagePrefix { get; set; }

    /// <summary>Set while the connection waits in the reflector's flush queue.</summary>
    public bool MarkedDirty
    {
        get => Volatile.Read(ref _markedDirty) != 0;
        set => Volatile.Write(ref _markedDirty, value ? 1 : 0);
    }

    private int _markedDirty;

    /// <summary>Whether the read loop answers iq get/set itself (a client does; the reflector's server side does not).</summary>
    public bool AnswersIq { get; set; } = true;

    /// <summary>Chat messages from the bench received on this connection (written only by its read loop).</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>True once the connection is over.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>True when we ended the connection ourselves (so the end is not a drop).</summary>
    public bool ClosedByUs => Volatile.Read(ref _closing) != 0;

    /// <summary>Why the connection ended, when it did.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>
    /// Stopwatch ticks when the last read returned: every stanza being handed to the handler had arrived by then. The
    /// messaging scenario measures latency to this moment, so that the bench's own parsing of the stanzas before it in
    /// the same read (up to 64 KiB, hundreds of stanzas at high rates) is not counted as the server's latency.
    /// </summary>
    public long LastReadAt { get; private set; }

    /// <summary>Bytes waiting to be written (not counting a write in flight); the pacer skips a sender with too many.</summary>
    public int PendingBytes => Volatile.Read(ref _pendingCount);

    /// <summary>Opens a TCP connection from <paramref name="source"/> (port chosen by the kernel) to <paramref name="target"/>.</summary>
    public static async Task<BenchConnection> ConnectAsync(int index, string user, XmppEndpoint target, IPAddress? source, CancellationToken ct)
    {
        var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                if (OperatingSystem.IsLinux() && source.AddressFamily == AddressFamily.InterNetwork)
                {
                    // IP_BIND_ADDRESS_NO_PORT: pick the port at connect time, per destination, so that binding the
                    // source address does not use up its ephemeral ports one per socket.
                    TrySetRawOption(socket, level: 0, name: 24);
                }

                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(target.ToIPEndPoint(), ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new BenchConnection(index, user, socket);
    }

    /// <summary>Wraps a socket accepted by the calibration reflector (the server side of the same framing and batching).</summary>
    public static BenchConnection FromAccepted(int index, Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.NoDelay = true;
        return new BenchConnection(index, string.Empty, socket);
    }

    /// <summary>Counts one delivered bench message (called by the handler on this connection's read loop).</summary>
    public void CountDelivered() => _delivered++;

    /// <summary>Writes directly and waits (login phase only, when nothing else writes).</summary>
    public ValueTask SendNowAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => _stream.WriteAsync(data, ct);

    /// <summary>Reads the next complete construct, reading from the socket as needed.</summary>
    public async ValueTask<Frame> ReadFrameAsync(CancellationToken ct)
    {
        while (true)
        {
            var kind = _framer.TryRead(_rx.AsSpan(_rxStart, _rxEnd - _rxStart), out var start, out var length, out var consumed);
            var frame = new Frame(kind, _rxStart + start, length);
            _rxStart += consumed;
            if (kind != FrameKind.None)
            {
                return frame;
            }

            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The bytes of a frame returned by <see cref="ReadFrameAsync"/>.</summary>
    public ReadOnlySpan<byte> FrameSpan(Frame frame) => _rx.AsSpan(frame.Start, frame.Length);

    /// <summary>
    /// Reads the next top-level element and returns a copy (login phase). Stream headers are passed over; the end of
    /// the stream and stream errors become <see cref="XmppLoginException"/>.
    /// </summary>
    public async Task<byte[]> ReadElementAsync(CancellationToken ct)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(ct).ConfigureAwait(false);
            switch (frame.Kind)
            {
                case FrameKind.StreamOpen:
                    continue;
                case FrameKind.StreamClose:
                    throw new XmppLoginException("stream-closed", "The server closed the stream");
            }

            var element = FrameSpan(frame).ToArray();
            if (XmlSpan.IsNamed(element, "error"u8) && element.AsSpan(1).StartsWith("stream:"u8))
            {
                var condition = XmlSpan.ErrorCondition(element);
                throw new XmppLoginException("stream-error:" + condition, "The server ended the stream with " + condition);
            }

            return element;
        }
    }

    /// <summary>Forgets the current stream after SASL success (RFC 6120 §6.4.6: both sides restart it).</summary>
    public void RestartStream() => _framer.Reset();

    /// <summary>Wraps the socket in TLS after <c>&lt;proceed/&gt;</c> (RFC 6120 §5.4.3.3).</summary>
    public async Task StartTlsAsync(string domain, CancellationToken ct)
    {
        if (_rxStart != _rxEnd)
        {
            throw new XmppLoginException("starttls-failed", "The server sent data after <proceed/>");
        }

        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        // A load generator on loopback, against test servers with self-signed certificates: identity is not the point.
#pragma warning disable CA5359
        var tls = new SslClientAuthenticationOptions { TargetHost = domain, RemoteCertificateValidationCallback = AcceptAnyCertificate };
#pragma warning restore CA5359
        await ssl.AuthenticateAsClientAsync(tls, ct).ConfigureAwait(false);
        _stream = ssl;
        _framer.Reset();
    }

    /// <summary>Starts the read loop that hands every stanza to <paramref name="handler"/>.</summary>
    public void StartReceiving(IStanzaHandler handler)
    {
        _handler = handler;
        _receiving = true;
        _ = ReceiveLoopAsync();
    }

    /// <summary>Appends bytes to the pending buffer; <see cref="Flush"/> writes them.</summary>
    public void Enqueue(ReadOnlySpan<byte> data)
    {
        lock (_sendLock)
        {
            var needed = _pendingCount + data.Length;
            if (needed > _pending.Length)
            {
                var bigger = new byte[Math.Max(needed, _pending.Length * 2)];
                _pending.AsSpan(0, _pendingCount).CopyTo(bigger);
                _pending = bigger;
            }

            data.CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount = needed;
        }
    }

    /// <summary>Starts writing the pending bytes unless a write is in flight (its completion picks them up).</summary>
    public void Flush()
    {
        byte[] buffer;
        int count;
        lock (_sendLock)
        {
            if (_writing || _pendingCount == 0 || IsClosed)
            {
                return;
            }

            _writing = true;
            buffer = _pending;
            count = _pendingCount;
            _pending = _spare ?? new byte[buffer.Length];
            _spare = null;
            _pendingCount = 0;
        }

        // Loopback writes nearly always complete synchronously: the async method then allocates nothing.
        _ = DrainAsync(buffer, count);
    }

    /// <summary>
    /// Ends the connection: sends the closing stream tag and waits up to <paramref name="wait"/> for the server's,
    /// then closes the socket.
    /// </summary>
    public async Task CloseAsync(TimeSpan wait)
    {
        Volatile.Write(ref _closing, 1);
        if (!IsClosed && _receiving)
        {
            Enqueue("</stream:stream>"u8);
            Flush();
            await Task.WhenAny(_ended.Task, Task.Delay(wait)).ConfigureAwait(false);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closing, 1);
        MarkClosed("closed by the bench");
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
        }

        _socket.Dispose();
    }

    private async Task DrainAsync(byte[] buffer, int count)
    {
        try
        {
            while (true)
            {
                await _stream.WriteAsync(buffer.AsMemory(0, count)).ConfigureAwait(false);
                lock (_sendLock)
                {
                    if (_pendingCount == 0)
                    {
                        _spare = buffer;
                        _writing = false;
                        return;
                    }

                    var next = _pending;
                    count = _pendingCount;
                    _pending = buffer;
                    _pendingCount = 0;
                    buffer = next;
                }
            }
        }
        catch (Exception e)
        {
            MarkClosed("write failed: " + e.Message);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (ProcessBuffered())
            {
                await FillAsync(CancellationToken.None).ConfigureAwait(false);
            }

            MarkClosed(ClosedByUs ? "closed by the bench" : "the server closed the stream");
        }
        catch (Exception e)
        {
            // Resets and aborts are how load tests usually end; anything else is kept as the reason for the report.
            MarkClosed(e is IOException or SocketException or ObjectDisposedException or XmppLoginException ? e.Message : e.ToString());
        }
    }

    /// <summary>Hands every complete stanza in the buffer to the handler; false once the stream has ended.</summary>
    private bool ProcessBuffered()
    {
        var handler = _handler!;
        while (true)
        {
            var kind = _framer.TryRead(_rx.AsSpan(_rxStart, _rxEnd - _rxStart), out var start, out var length, out var consumed);
            var stanza = _rx.AsSpan(_rxStart + start, length);
            _rxStart += consumed;
            switch (kind)
            {
                case FrameKind.None:
                    break;
                case FrameKind.StreamClose:
                    handler.OnBatchEnd(this);
                    return false;
                case FrameKind.Element:
                    if (AnswersIq && XmlSpan.IsNamed(stanza, "iq"u8))
                    {
                        AnswerIq(stanza);
                    }
                    else if (XmlSpan.IsNamed(stanza, "error"u8))
                    {
                        CloseReason = "stream error: " + XmlSpan.ErrorCondition(stanza);
                    }

                    handler.OnStanza(this, stanza);
                    break;
            }

            if (kind == FrameKind.None)
            {
                break;
            }
        }

        handler.OnBatchEnd(this);
        return true;
    }

    /// <summary>RFC 6120 §8.2.3: answer every iq get/set, pings (XEP-0199) with a result and the rest with an error.</summary>
    private void AnswerIq(ReadOnlySpan<byte> iq)
    {
        if (!XmlSpan.TryGetAttribute(iq, "type"u8, out var type) || !(type.SequenceEqual("get"u8) || type.SequenceEqual("set"u8)))
        {
            return;
        }

        XmlSpan.TryGetAttribute(iq, "id"u8, out var id);
        var hasFrom = XmlSpan.TryGetAttribute(iq, "from"u8, out var from);
        var reply = new ArrayBufferWriter<byte>(256);
        var isPing = XmlSpan.HasDescendant(iq, "ping"u8);
        reply.Write(isPing ? "<iq type='result' id='"u8 : "<iq type='error' id='"u8);
        reply.Write(id);
        reply.Write("'"u8);
        if (hasFrom)
        {
            reply.Write(" to='"u8);
            reply.Write(from);
            reply.Write("'"u8);
        }

        reply.Write(isPing
            ? "/>"u8
            : "><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"u8);
        Enqueue(reply.WrittenSpan);
        Flush();
    }

    // Pooled: a read that has to wait would otherwise allocate its state machine, once per read.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_rxStart == _rxEnd)
        {
            _rxStart = _rxEnd = 0;
        }

        if (_lastReadFilled && _rx.Length < ThroughputReceiveBuffer)
        {
            // The last read filled the buffer: the peer sends faster than we read 4 KiB at a time.
            Resize(_rx.Length * 2);
        }
        else if (_rx.Length - _rxEnd < 512)
        {
            if (_rxStart > 0)
            {
                Resize(_rx.Length);
            }
            else if (_rx.Length >= MaxElementBytes)
            {
                throw new XmppLoginException("too-large", $"An element larger than {MaxElementBytes} bytes");
            }
            else
            {
                Resize(_rx.Length * 2);
            }
        }

        var free = _rx.Length - _rxEnd;
        var n = await _stream.ReadAsync(_rx.AsMemory(_rxEnd), ct).ConfigureAwait(false);
        if (n == 0)
        {
            throw new XmppLoginException("connection-closed", "The server closed the connection");
        }

        LastReadAt = Stopwatch.GetTimestamp();
        _lastReadFilled = n == free;
        _rxEnd += n;
    }

    private void Resize(int size)
    {
        var target = size == _rx.Length ? _rx : new byte[size];
        var live = _rxEnd - _rxStart;
        _rx.AsSpan(_rxStart, live).CopyTo(target);
        _rx = target;
        _rxStart = 0;
        _rxEnd = live;
    }

    private void MarkClosed(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        CloseReason ??= reason;
        _ended.TrySetResult();
        _handler?.OnClosed(this);
    }

    private static void TrySetRawOption(Socket socket, int level, int name)
    {
        try
        {
            socket.SetRawSocketOption(level, name, [1, 0, 0, 0]);
        }
        catch (SocketException)
        {
        }
    }

    private static bool AcceptAnyCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) => true;
}
