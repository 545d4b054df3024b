using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Authentication.ExtendedProtection;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;

namespace Rookery.TestKit;

/// <summary>
/// A low-level XMPP client for tests: sends exact XML, and reads the server's elements with the same restricted
/// parser the server uses, so that assertions see precisely what went over the socket.
/// </summary>
public sealed class RawXmppClient : IAsyncDisposable
{
    /// <summary>How long an expectation waits by default.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly string _domain;
    private readonly Channel<Element> _incoming = Channel.CreateUnbounded<Element>();
    private readonly List<Element> _skipped = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Element> _firstHeader = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Stream _stream;
    private XmlStreamParser _parser = new();
    private Task _readLoop = Task.CompletedTask;
    private CancellationTokenSource _readCancel = new();

    private RawXmppClient(TcpClient tcp, string domain)
    {
        _tcp = tcp;
        _domain = domain;
        _stream = tcp.GetStream();
    }

    /// <summary>The bound full JID after <see cref="BindAsync"/>.</summary>
    public Jid? Jid { get; private set; }

    /// <summary>The last stream header received.</summary>
    public Element? StreamHeader { get; private set; }

    /// <summary>Completes when the server closed the stream (its closing tag or the socket).</summary>
    public Task Closed => _closed.Task;

    /// <summary>True once TLS is in place.</summary>
    public bool IsSecure => _stream is SslStream;

    /// <summary>True when the server ended the stream with its closing tag (not merely by dropping the socket).</summary>
    public bool StreamEndReceived { get; private set; }

    /// <summary>The server's TLS certificate once TLS is in place (for tls-server-end-point channel binding).</summary>
    public X509Certificate2? RemoteCertificate => (_stream as SslStream)?.RemoteCertificate switch
    {
        null => null,
        X509Certificate2 c => c,
        var c => X509CertificateLoader.LoadCertificate(c.GetRawCertData()),
    };

    /// <summary>
    /// The <c>tls-unique</c> channel binding (RFC 5929 §3, the first Finished message) as this client sees it, or null
    /// without TLS or when the TLS stack does not expose it.
    /// </summary>
    public byte[]? TlsUnique
    {
        get
        {
            using var binding = (_stream as SslStream)?.TransportContext?.GetChannelBinding(ChannelBindingKind.Unique);
            const int headerSize = 32; // SEC_CHANNEL_BINDINGS: eight 32-bit fields, then the application data
            if (binding is null || binding.IsInvalid || binding.Size <= headerSize)
            {
                return null;
            }

            var raw = new byte[binding.Size];
            Marshal.Copy(binding.DangerousGetHandle(), raw, 0, raw.Length);
            var data = raw.AsSpan(BitConverter.ToInt32(raw, 28), BitConverter.ToInt32(raw, 24));
            return (data.StartsWith("tls-unique:"u8) ? data["tls-unique:"u8.Length..] : data).ToArray();
        }
    }

    /// <summary>The negotiated TLS version once TLS is in place.</summary>
    public SslProtocols? TlsProtocol => (_stream as SslStream)?.SslProtocol;

    /// <summary>TLS versions the client offers in later handshakes; <see cref="SslProtocols.None"/> lets the system choose.</summary>
    public SslProtocols TlsProtocols { get; set; } = SslProtocols.None;

    /// <summary>Elements that <see cref="WaitForAsync"/> passed over.</summary>
    public IReadOnlyList<Element> Skipped => _skipped;

    /// <summary>
    /// Connects a TCP socket; nothing is sent yet. <paramref name="receiveBufferBytes"/> fixes the socket's receive buffer
    /// (no kernel autotuning), so that a client that stops reading (<see cref="PauseReading"/>) soon makes the server's
    /// writes back up instead of megabytes disappearing into kernel buffers.
    /// </summary>
    public static async Task<RawXmppClient> ConnectAsync(string host, int port, string domain, int? receiveBufferBytes = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        if (receiveBufferBytes is { } size)
        {
            tcp.ReceiveBufferSize = size;
        }

        await tcp.ConnectAsync(host, port).ConfigureAwait(false);
        var client = new RawXmppClient(tcp, domain);
        client.StartReading();
        return client;
    }

    /// <summary>Connects to a direct-TLS port and completes the handshake first (XEP-0368).</summary>
    public static async Task<RawXmppClient> ConnectDirectTlsAsync(string host, int port, string domain)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port).ConfigureAwait(false);
        var client = new RawXmppClient(tcp, domain);
        await client.HandshakeAsync().ConfigureAwait(false);
        client.StartReading();
        return client;
    }

    /// <summary>Sends raw text as UTF-8, exactly as given.</summary>
    public async Task SendAsync(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        await _stream.WriteAsync(bytes).ConfigureAwait(false);
        await _stream.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Sends raw bytes (for split or invalid input).</summary>
    public async Task SendBytesAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes).ConfigureAwait(false);
        await _stream.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>The stream features of the latest (re)started stream.</summary>
    public Element? Features { get; private set; }

    /// <summary>Sends the opening stream header and waits for the server's header and features.</summary>
    public async Task<Element> OpenStreamAsync(string? to = null)
    {
        await SendAsync($"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{to ?? _domain}' version='1.0'>").ConfigureAwait(false);
        Features = await ExpectAsync("features", Ns.Streams).ConfigureAwait(false);
        return Features;
    }

    /// <summary>
    /// Opens an external component stream (XEP-0114, <c>jabber:component:accept</c>) to <paramref name="domain"/> and
    /// waits for the server's header, which carries the stream id for the handshake.
    /// </summary>
    public async Task<Element> OpenComponentStreamAsync(string domain)
    {
        await SendAsync($"<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='{domain}'>").ConfigureAwait(false);
        return await _firstHeader.Task.WaitAsync(DefaultTimeout).ConfigureAwait(false);
    }

    /// <summary>Sends the XEP-0114 handshake (hex SHA-1 of stream id and secret) and returns the server's answer.</summary>
    public async Task<Element> ComponentHandshakeAsync(string secret)
    {
        var id = StreamHeader?.GetAttribute("id") ?? throw new InvalidOperationException("No stream id yet: open the component stream first");
#pragma warning disable CA5350 // XEP-0114 §3 fixes SHA-1.
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(id + secret)));
#pragma warning restore CA5350
        await SendAsync($"<handshake>{digest}</handshake>").ConfigureAwait(false);
        return await NextAsync().ConfigureAwait(false);
    }

    /// <summary>The next element from the server, or a <see cref="TimeoutException"/>.</summary>
    public async Task<Element> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _incoming.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No element from the server within the timeout");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The server closed the stream");
        }
    }

    /// <summary>The next element, which must have this name and namespace.</summary>
    public async Task<Element> ExpectAsync(string name, string ns, TimeSpan? timeout = null)
    {
        var e = await NextAsync(timeout).ConfigureAwait(false);
        if (e.Name != name || e.Namespace != ns)
        {
            throw new InvalidOperationException($"Expected <{name} xmlns='{ns}'/>, got {e}");
        }

        return e;
    }

    /// <summary>Waits for the first element that matches, passing over (and recording) others.</summary>
    public async Task<Element> WaitForAsync(Func<Element, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("No matching element; passed over: " + string.Join(" ", _skipped.TakeLast(10)));
            }

            var e = await NextAsync(left).ConfigureAwait(false);
            if (match(e))
            {
                return e;
            }

            _skipped.Add(e);
        }
    }

    /// <summary>Asserts that nothing arrives within <paramref name="quiet"/> (for "must not be delivered" checks).</summary>
    public async Task ExpectNothingAsync(TimeSpan quiet, Func<Element, bool>? match = null)
    {
        var deadline = DateTime.UtcNow + quiet;
        while (DateTime.UtcNow < deadline)
        {
            Element e;
            try
            {
                e = await NextAsync(deadline - DateTime.UtcNow).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return;
            }

            if (match is null || match(e))
            {
                throw new InvalidOperationException("Expected nothing, got " + e);
            }
        }
    }

    /// <summary>Waits for a stream error and returns its condition.</summary>
    public async Task<StreamErrorCondition> ExpectStreamErrorAsync(TimeSpan? timeout = null)
    {
        var e = await WaitForAsync(x => x.Name == "error" && x.Namespace == Ns.Streams, timeout).ConfigureAwait(false);
        var condition = e.Elements().First(c => c.Namespace == Ns.StreamErrors && c.Name != "text");
        return StreamErrors.Parse(condition.Name);
    }

    /// <summary>Negotiates STARTTLS and reopens the stream; returns the new features.</summary>
    public async Task<Element> StartTlsAsync()
    {
        await SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").ConfigureAwait(false);
        await ExpectAsync("proceed", Ns.Tls).ConfigureAwait(false);
        await StopReadingAsync().ConfigureAwait(false);
        await HandshakeAsync().ConfigureAwait(false);
        _parser = new XmlStreamParser();
        StartReading();
        return await OpenStreamAsync().ConfigureAwait(false);
    }

    /// <summary>Authenticates with SCRAM (no channel binding); returns the features of the restarted stream.</summary>
    public async Task<Element> AuthenticateScramAsync(string user, string password, ScramHash hash = ScramHash.Sha256)
    {
        var scram = new ScramClient(hash, user, password, Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('='), gs2Header: "n,,");
        await SendAsync($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='{hash.MechanismName(plus: false)}'>{Convert.ToBase64String(scram.ClientFirst())}</auth>").ConfigureAwait(false);
        var challenge = await NextAsync().ConfigureAwait(false);
        if (challenge.Name != "challenge")
        {
            throw new AuthenticationFailedException(challenge);
        }

        var final = scram.ClientFinal(Convert.FromBase64String(challenge.Text));
        await SendAsync($"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{Convert.ToBase64String(final)}</response>").ConfigureAwait(false);
        var outcome = await NextAsync().ConfigureAwait(false);
        if (outcome.Name != "success")
        {
            throw new AuthenticationFailedException(outcome);
        }

        if (!scram.VerifyServerFinal(Convert.FromBase64String(outcome.Text)))
        {
            throw new InvalidOperationException("The server's SCRAM signature is wrong");
        }

        return await RestartAsync().ConfigureAwait(false);
    }

    /// <summary>Authenticates with PLAIN; returns the features of the restarted stream.</summary>
    public async Task<Element> AuthenticatePlainAsync(string user, string password)
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));
        await SendAsync($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{payload}</auth>").ConfigureAwait(false);
        var outcome = await NextAsync().ConfigureAwait(false);
        if (outcome.Name != "success")
        {
            throw new AuthenticationFailedException(outcome);
        }

        return await RestartAsync().ConfigureAwait(false);
    }

    /// <summary>Authenticates with ANONYMOUS (RFC 4505, empty trace); returns the features of the restarted stream.</summary>
    public async Task<Element> AuthenticateAnonymousAsync()
    {
        await SendAsync("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'>=</auth>").ConfigureAwait(false);
        var outcome = await NextAsync().ConfigureAwait(false);
        if (outcome.Name != "success")
        {
            throw new AuthenticationFailedException(outcome);
        }

        return await RestartAsync().ConfigureAwait(false);
    }

    /// <summary>Binds a resource (server-generated when null) and returns the full JID.</summary>
    public async Task<Jid> BindAsync(string? resource)
    {
        var inner = resource is null ? string.Empty : $"<resource>{resource}</resource>";
        await SendAsync($"<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>{inner}</bind></iq>").ConfigureAwait(false);
        var result = await WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "bind1").ConfigureAwait(false);
        if (result.GetAttribute("type") != "result")
        {
            throw new InvalidOperationException("Bind failed: " + result);
        }

        Jid = Protocol.Addressing.Jid.Parse(result.Child("bind", Ns.Bind)!.ChildText("jid", Ns.Bind)!);
        return Jid;
    }

    /// <summary>The whole login: stream, STARTTLS, SCRAM-SHA-256, bind.</summary>
    public async Task<Jid> LoginAsync(string user, string password, string? resource = "test")
    {
        await OpenStreamAsync().ConfigureAwait(false);
        await StartTlsAsync().ConfigureAwait(false);
        await AuthenticateScramAsync(user, password).ConfigureAwait(false);
        return await BindAsync(resource).ConfigureAwait(false);
    }

    /// <summary>Sends an iq and waits for the reply with the same id.</summary>
    public async Task<Element> IqAsync(string iqXml, string id)
    {
        await SendAsync(iqXml).ConfigureAwait(false);
        return await WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == id && e.GetAttribute("type") is "result" or "error").ConfigureAwait(false);
    }

    /// <summary>Closes the stream politely and the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_tcp.Connected && !_closed.Task.IsCompleted)
            {
                await SendAsync("</stream:stream>").ConfigureAwait(false);
                await Task.WhenAny(_closed.Task, Task.Delay(1000)).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (NotSupportedException)
        {
            // A write of the test's is still pending (a flood the server is not reading): no polite close then.
        }

        await _readCancel.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        _readCancel.Dispose();
    }

    /// <summary>Drops the TCP connection without closing the stream (a client that vanished).</summary>
    public void Abort()
    {
        if (_tcp.Client is null)
        {
            return; // aborted or disposed already
        }

        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Dispose();
    }

    private async Task<Element> RestartAsync()
    {
        _parser.Reset();
        return await OpenStreamAsync().ConfigureAwait(false);
    }

    private async Task HandshakeAsync()
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _domain, EnabledSslProtocols = TlsProtocols }).ConfigureAwait(false);
        _stream = ssl;
    }

    private void StartReading()
    {
        _readCancel = new CancellationTokenSource();
        var token = _readCancel.Token;
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _readLoop = Task.Run(() => ReadLoopAsync(reader, token), CancellationToken.None);
    }

    private async Task StopReadingAsync()
    {
        // After <proceed/> the server sends nothing until the handshake: stop the plain-text reader without losing bytes.
        _stopRequested = true;
        await _readCancel.CancelAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopRequested = false;
    }

    private volatile bool _stopRequested;
    private volatile TaskCompletionSource? _paused;

    /// <summary>Stops reading the socket (a client that falls behind) until <see cref="ResumeReading"/>; one read in progress still completes.</summary>
    public void PauseReading() => _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Reads the socket again after <see cref="PauseReading"/>.</summary>
    public void ResumeReading()
    {
        var paused = _paused;
        _paused = null;
        paused?.TrySetResult();
    }

    private async Task ReadLoopAsync(PipeReader reader, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                if (_paused is { } paused)
                {
                    await paused.Task.WaitAsync(ct).ConfigureAwait(false);
                }

                var result = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (_parser.TryRead(ref buffer, out var ev))
                    {
                        switch (ev.Kind)
                        {
                            case XmlStreamEventKind.StreamOpen:
                                StreamHeader = ev.Element;
                                _firstHeader.TrySetResult(ev.Element!);
                                break;
                            case XmlStreamEventKind.Element:
                                _incoming.Writer.TryWrite(ev.Element!);
                                if (ev.Element!.Name == "success" && ev.Element.Namespace == Ns.Sasl)
                                {
                                    _parser.Reset();
                                }

                                break;
                            case XmlStreamEventKind.StreamClose:
                                StreamEndReceived = true;
                                _closed.TrySetResult();
                                _incoming.Writer.TryComplete();
                                return;
                        }
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stopRequested)
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or StreamErrorException)
        {
        }

        _closed.TrySetResult();
        _incoming.Writer.TryComplete();
    }
}
