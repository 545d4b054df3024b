using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rookery.Bench.Net;

namespace Rookery.Bench.Calibration;

/// <summary>
/// A minimal XMPP endpoint for calibrating the generator: it accepts any PLAIN login without TLS, binds the requested
/// resource, reflects initial presence, and copies every message verbatim to the connection bound to its 'to' JID,
/// batching its writes per read. It does close to no work per message, so a messaging run against it measures the
/// bench's own ceiling. Loopback only, and it stops by itself after its duration.
/// </summary>
internal sealed class Reflector : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly ConcurrentDictionary<string, BenchConnection> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BenchConnection>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<BenchConnection> _dirty = new();
    private readonly TimeSpan _flushInterval;
    private readonly Task _accepting;
    private readonly Thread? _flusher;
    private int _sessions;
    private long _routed;
    private long _unroutable;

    private Reflector(Socket listener, TimeSpan flushInterval)
    {
        _listener = listener;
        _flushInterval = flushInterval;
        _lookup = _routes.GetAlternateLookup<ReadOnlySpan<char>>();
        if (flushInterval > TimeSpan.Zero)
        {
            // Coalescing writes over an interval, as a server under load does: a few messages per write to each recipient.
            _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "reflector-flush" };
            _flusher.Start();
        }

        _accepting = AcceptLoopAsync();
    }

    /// <summary>The port it listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Bound sessions now.</summary>
    public int Sessions => _routes.Count;

    /// <summary>Messages copied to their recipient.</summary>
    public long Routed => Interlocked.Read(ref _routed);

    /// <summary>Messages whose recipient was not bound (dropped).</summary>
    public long Unroutable => Interlocked.Read(ref _unroutable);

    /// <summary>
    /// Listens on <paramref name="endpoint"/> (a loopback address; port 0 picks a free one). Recipients are flushed after
    /// every read when <paramref name="flushInterval"/> is zero, else every interval.
    /// </summary>
    public static Reflector Start(IPEndPoint endpoint, TimeSpan flushInterval = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!LoopbackGuard.IsLoopback(endpoint.Address))
        {
            throw new BenchUsageException($"the reflector listens on loopback addresses only, not {endpoint.Address}");
        }

        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endpoint);
            listener.Listen(4096);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new Reflector(listener, flushInterval);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var c in _routes.Values)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private void FlushLoop()
    {
        var sleep = Math.Max(1, (int)_flushInterval.TotalMilliseconds);
        while (!_stop.IsCancellationRequested)
        {
            Thread.Sleep(sleep);
            var n = _dirty.Count;
            while (n-- > 0 && _dirty.TryDequeue(out var c))
            {
                c.MarkedDirty = false;
                c.Flush();
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = SessionAsync(BenchConnection.FromAccepted(Interlocked.Increment(ref _sessions), socket));
        }
    }

    private async Task SessionAsync(BenchConnection c)
    {
        c.AnswersIq = false;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var ct = timeout.Token;
            var domain = await ExpectHeaderAsync(c, ct).ConfigureAwait(false);
            await SendAsync(c, Header(domain) + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", ct).ConfigureAwait(false);

            var auth = await c.ReadElementAsync(ct).ConfigureAwait(false);
            var text = Encoding.ASCII.GetString(XmlSpan.TextAt(auth, 0)).Trim();
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(text)).Split('\0');
            var user = parts.Length == 3 ? parts[1] : "anonymous";
            await SendAsync(c, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", ct).ConfigureAwait(false);
            c.RestartStream();

            await ExpectHeaderAsync(c, ct).ConfigureAwait(false);
            await SendAsync(c, Header(domain) + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>", ct).ConfigureAwait(false);

            var bind = await c.ReadElementAsync(ct).ConfigureAwait(false);
            var jid = $"{user}@{domain}/{XmlSpan.DescendantText(bind, "resource"u8) ?? "r"}";
            var id = XmlSpan.Attribute(bind, "id"u8) ?? string.Empty;
            await SendAsync(c, $"<iq type='result' id='{XmlSpan.Escape(id)}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{XmlSpan.Escape(jid)}</jid></bind></iq>", ct).ConfigureAwait(false);

            while (!XmlSpan.IsNamed(await c.ReadElementAsync(ct).ConfigureAwait(false), "presence"u8))
            {
            }

            c.Jid = jid;
            _routes[jid] = c;
            await SendAsync(c, $"<presence from='{XmlSpan.Escape(jid)}' to='{XmlSpan.Escape(jid)}'/>", ct).ConfigureAwait(false);
            c.StartReceiving(new Route(this));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or XmppLoginException or FormatException or ObjectDisposedException)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<string> ExpectHeaderAsync(BenchConnection c, CancellationToken ct)
    {
        var frame = await c.ReadFrameAsync(ct).ConfigureAwait(false);
        if (frame.Kind != FrameKind.StreamOpen)
        {
            throw new XmppLoginException("unexpected-element", "Expected a stream header");
        }

        return XmlSpan.Attribute(c.FrameSpan(frame), "to"u8) ?? "localhost";
    }

    private static string Header(string domain) =>
        $"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='{XmlSpan.Escape(domain)}' id='reflector' version='1.0'>";

    private static ValueTask SendAsync(BenchConnection c, string xml, CancellationToken ct) => c.SendNowAsync(Encoding.UTF8.GetBytes(xml), ct);

    /// <summary>One session's read side: routes its messages and flushes each recipient once per read.</summary>
    private sealed class Route(Reflector reflector) : IStanzaHandler
    {
        private readonly HashSet<BenchConnection> _dirty = [];

        public void OnStanza(BenchConnection connection, ReadOnlySpan<byte> stanza)
        {
            if (!XmlSpan.IsNamed(stanza, "message"u8) || !XmlSpan.TryGetAttribute(stanza, "to"u8, out var to) || to.Length > 512)
            {
                return;
            }

            Span<char> chars = stackalloc char[512];
            var n = Encoding.UTF8.GetChars(to, chars);
            if (reflector._lookup.TryGetValue(chars[..n], out var target))
            {
                target.Enqueue(stanza);
                _dirty.Add(target);
                Interlocked.Increment(ref reflector._routed);
            }
            else
            {
                Interlocked.Increment(ref reflector._unroutable);
            }
        }

        public void OnBatchEnd(BenchConnection connection)
        {
            foreach (var target in _dirty)
            {
                if (reflector._flusher is null)
                {
                    target.Flush();
                }
                else if (!target.MarkedDirty)
                {
                    target.MarkedDirty = true;
                    reflector._dirty.Enqueue(target);
                }
            }

            _dirty.Clear();
        }

        public void OnClosed(BenchConnection connection)
        {
            if (connection.Jid is { } jid)
            {
                reflector._routes.TryRemove(new KeyValuePair<string, BenchConnection>(jid, connection));
            }

            _ = connection.DisposeAsync().AsTask();
        }
    }
}
