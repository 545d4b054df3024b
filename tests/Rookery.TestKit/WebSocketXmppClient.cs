using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using System.Xml.Linq;
using Rookery.Protocol.Sasl;

namespace Rookery.TestKit;

/// <summary>
/// A raw XMPP over WebSocket client (RFC 7395) for tests: sends exact text messages and parses every message it receives
/// as a standalone XML document, so a message holding two elements, half an element or an undeclared prefix fails.
/// </summary>
public sealed class WebSocketXmppClient : IAsyncDisposable
{
    /// <summary>The RFC 7395 framing namespace.</summary>
    public const string FramingNs = "urn:ietf:params:xml:ns:xmpp-framing";

    private static readonly XNamespace Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    private static readonly XNamespace Bind = "urn:ietf:params:xml:ns:xmpp-bind";
    private readonly ClientWebSocket _socket;
    private readonly Channel<XElement> _incoming = Channel.CreateUnbounded<XElement>();
    private readonly List<string> _raw = [];
    private readonly Task _reader;

    private WebSocketXmppClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = ReadLoopAsync();
    }

    /// <summary>The bound full JID after <see cref="BindAsync"/>.</summary>
    public string? Jid { get; private set; }

    /// <summary>Every message received so far, as text.</summary>
    public IReadOnlyList<string> RawMessages
    {
        get
        {
            lock (_raw)
            {
                return _raw.ToList();
            }
        }
    }

    /// <summary>The WebSocket close status the server sent, once closed.</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>Completes when the server has closed the WebSocket (or the connection broke).</summary>
    public Task Closed => _reader;

    /// <summary>The negotiated subprotocol.</summary>
    public string? SubProtocol => _socket.SubProtocol;

    /// <summary>Connects to <paramref name="uri"/> offering the <c>xmpp</c> subprotocol (or none when <paramref name="subProtocol"/> is null).</summary>
    public static async Task<WebSocketXmppClient> ConnectAsync(Uri uri, string? subProtocol = "xmpp", Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        if (subProtocol is not null)
        {
            socket.Options.AddSubProtocol(subProtocol);
        }

        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(RawXmppClient.DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token).ConfigureAwait(false);
        return new WebSocketXmppClient(socket);
    }

    /// <summary>Sends one text message.</summary>
    public async Task SendAsync(string message)
    {
        using var timeout = new CancellationTokenSource(RawXmppClient.DefaultTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>The next message, parsed.</summary>
    public async Task<XElement> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? RawXmppClient.DefaultTimeout);
        try
        {
            return await _incoming.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No message from the server within the timeout; received: " + string.Join(" | ", RawMessages.TakeLast(5)));
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The server closed the WebSocket; received: " + string.Join(" | ", RawMessages.TakeLast(5)));
        }
    }

    /// <summary>Waits for the first message that matches, passing over others.</summary>
    public async Task<XElement> WaitForAsync(Func<XElement, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? RawXmppClient.DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("No matching message; received: " + string.Join(" | ", RawMessages.TakeLast(8)));
            }

            var e = await NextAsync(left).ConfigureAwait(false);
            if (match(e))
            {
                return e;
            }
        }
    }

    /// <summary>Sends <c>&lt;open/&gt;</c> and returns the server's <c>&lt;stream:features/&gt;</c> after its own <c>&lt;open/&gt;</c>.</summary>
    public async Task<XElement> OpenAsync(string to)
    {
        await SendAsync($"<open xmlns='{FramingNs}' to='{to}' version='1.0'/>").ConfigureAwait(false);
        var open = await NextAsync().ConfigureAwait(false);
        if (open.Name != XName.Get("open", FramingNs))
        {
            throw new InvalidOperationException("Expected <open/>, got " + open);
        }

        return await NextAsync().ConfigureAwait(false);
    }

    /// <summary>Opens, authenticates with SCRAM-SHA-256, restarts and binds; returns the full JID.</summary>
    public async Task<string> LoginAsync(string domain, string user, string password, string resource = "web")
    {
        await AuthenticateAsync(domain, user, password).ConfigureAwait(false);
        return await BindAsync(resource).ConfigureAwait(false);
    }

    /// <summary>Opens, authenticates with SCRAM-SHA-256 and restarts the stream; returns the new features.</summary>
    public async Task<XElement> AuthenticateAsync(string domain, string user, string password)
    {
        await OpenAsync(domain).ConfigureAwait(false);
        var scram = new ScramClient(ScramHash.Sha256, user, password, Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('='));
        await SendAsync($"<auth xmlns='{Sasl}' mechanism='SCRAM-SHA-256'>{Convert.ToBase64String(scram.ClientFirst())}</auth>").ConfigureAwait(false);
        var challenge = await NextAsync().ConfigureAwait(false);
        if (challenge.Name != Sasl + "challenge")
        {
            throw new InvalidOperationException("Expected a SASL challenge, got " + challenge);
        }

        var final = scram.ClientFinal(Convert.FromBase64String(challenge.Value));
        await SendAsync($"<response xmlns='{Sasl}'>{Convert.ToBase64String(final)}</response>").ConfigureAwait(false);
        var success = await NextAsync().ConfigureAwait(false);
        if (success.Name != Sasl + "success" || !scram.VerifyServerFinal(Convert.FromBase64String(success.Value)))
        {
            throw new InvalidOperationException("Expected SASL success, got " + success);
        }

        // RFC 7395 §3.5: the stream restarts with a new <open/> over the same WebSocket.
        return await OpenAsync(domain).ConfigureAwait(false);
    }

    /// <summary>Binds a resource and returns the full JID.</summary>
    public async Task<string> BindAsync(string resource)
    {
        await SendAsync($"<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='{Bind}'><resource>{resource}</resource></bind></iq>").ConfigureAwait(false);
        var result = await WaitForAsync(e => e.Name.LocalName == "iq" && (string?)e.Attribute("id") == "bind1").ConfigureAwait(false);
        if ((string?)result.Attribute("type") != "result")
        {
            throw new InvalidOperationException("Bind failed: " + result);
        }

        Jid = result.Element(Bind + "bind")!.Element(Bind + "jid")!.Value;
        return Jid;
    }

    /// <summary>Drops the connection without any closing handshake (a vanished browser tab).</summary>
    public void Abort() => _socket.Abort();

    /// <summary>Sends <c>&lt;close/&gt;</c> if the socket is open, then closes the WebSocket.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await SendAsync($"<close xmlns='{FramingNs}'/>").ConfigureAwait(false);
                await _reader.WaitAsync(RawXmppClient.DefaultTimeout).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // Already gone: nothing to close politely.
        }
        finally
        {
            _socket.Dispose();
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), CancellationToken.None).ConfigureAwait(false);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    }

                    return;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, count);
                lock (_raw)
                {
                    _raw.Add(text);
                }

                // RFC 7395 §3.3.3: each message is one complete, namespace-well-formed XML element.
                _incoming.Writer.TryWrite(XElement.Parse(text));
            }
        }
        catch (WebSocketException)
        {
            // The connection broke: readers see the channel complete.
        }
        finally
        {
            _incoming.Writer.TryComplete();
        }
    }
}
