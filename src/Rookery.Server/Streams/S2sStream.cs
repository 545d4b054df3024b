using System.IO.Pipelines;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.Server.Transport;

namespace Rookery.Server.Streams;

/// <summary>
/// What both directions of a server-to-server stream share (RFC 6120 §4): the read loop that parses
/// <c>jabber:server</c> content as the server's <c>jabber:client</c> stanzas, one writer loop draining one outgoing
/// queue, the STARTTLS pipe swap with the writer parked, stream errors and the orderly close.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The connection owns its lifetime: RunAsync disposes everything when the connection ends.")]
internal abstract partial class S2sStream
{
    private readonly CancellationTokenSource _closing = new();
    private ConnectionContext? _connection;
    private PipeReader? _input;
    private PipeWriter? _output;
    private SslStream? _tls;
    private int _closeRequested;
    private int _queued;
    private long _lastActivity;

    /// <summary>Creates the stream's parser and queue; the connection comes with <see cref="RunAsync"/>.</summary>
    protected S2sStream(S2SManager manager)
    {
        Manager = manager;
        var limits = manager.ServerOptions.Limits;
        Parser = new XmlStreamParser(new XmlLimits
        {
            MaxStanzaBytes = limits.MaxStanzaBytes,
            MaxDepth = limits.MaxDepth,
            MaxAttributes = limits.MaxAttributes,
        })
        {
            // Unchanged stanzas are forwarded as received (issue #6's wire forms): no re-serialisation on the hot path.
            KeepWireForms = true,
        };
        // RFC 6120 §4.8.3: stanzas of a server stream are qualified by jabber:server; inside the server every stanza is
        // jabber:client, and they are written back unqualified so that they land in the peer's default namespace.
        Parser.AliasNamespace(Ns.Server, Ns.Client);
        _lastActivity = manager.Time.GetTimestamp();
    }

    /// <summary>The manager: router, options, keys and the tables of open streams.</summary>
    protected S2SManager Manager { get; }

    /// <summary>The parser of the peer's bytes.</summary>
    protected XmlStreamParser Parser { get; }

    /// <summary>The logger.</summary>
    protected ILogger Logger => Manager.Logger;

    /// <summary>The connection's id, for logs.</summary>
    public string ConnectionId => _connection?.ConnectionId ?? "-";

    /// <summary>The peer's address, for logs.</summary>
    public string? RemoteAddress => _connection?.RemoteEndPoint?.ToString();

    /// <summary>The ALPN protocol name of a direct TLS server-to-server connection (XEP-0368 §4).</summary>
    protected static readonly SslApplicationProtocol XmppServerAlpn = new("xmpp-server");

    /// <summary>True when TLS started before any XML (XEP-0368 direct TLS) rather than by STARTTLS.</summary>
    protected bool StartedWithTls { get; private set; }

    /// <summary>True once TLS is in place.</summary>
    public bool IsSecure => _tls is not null;

    /// <summary>True once the stream is closing or closed: nothing more is accepted for writing.</summary>
    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    /// <summary>When data last went either way (<see cref="TimeProvider.GetTimestamp"/>), for the idle sweep.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>
    /// The outgoing queue; stanzas, dialback elements and headers go through it in order. Unbounded; the limit is
    /// <c>Limits:MaxLinkOutboundQueue</c>, counted in <see cref="SendStanza"/>. Holds no slots while drained (issue #6).
    /// </summary>
    private OutboundQueue Outbox { get; } = new();

    /// <summary>Queues an element that is not a routed stanza (features, dialback, TLS negotiation).</summary>
    protected void SendControl(Element element) => Outbox.TryWrite(new Outbound(OutboundKind.Element, element));

    /// <summary>
    /// Queues a routed stanza, counted against <c>Limits:MaxLinkOutboundQueue</c>; false when the stream cannot take it.
    /// Past the limit the stream is closed with <c>resource-constraint</c>: a peer that does not read its socket must not
    /// make this server buffer without bound. What it holds then is handed to <see cref="OnEndedAsync"/> when it ends.
    /// </summary>
    protected bool SendStanza(Element stanza)
    {
        if (IsClosing)
        {
            return false;
        }

        if (Interlocked.Increment(ref _queued) > Manager.ServerOptions.Limits.MaxLinkOutboundQueue)
        {
            Interlocked.Decrement(ref _queued);
            CloseStream(StreamErrorCondition.ResourceConstraint, "Too many stanzas waiting to be written");
            return false;
        }

        if (Outbox.TryWrite(new Outbound(OutboundKind.Element, stanza, counted: true)))
        {
            return true;
        }

        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>Queues the stream header (RFC 6120 §4.2; again after a restart, §5.4.3.3).</summary>
    protected void SendHeader() => Outbox.TryWrite(new Outbound(OutboundKind.Header));

    /// <summary>Writes this side's stream header.</summary>
    protected abstract void WriteHeader(PipeWriter output);

    /// <summary>Handles one parser event; returns true when the transport must now be upgraded to TLS.</summary>
    protected abstract ValueTask<bool> OnEventAsync(XmlStreamEvent ev);

    /// <summary>Runs the TLS handshake of this side over the raw transport.</summary>
    protected abstract Task<SslStream> AuthenticateTlsAsync(Stream transport, CancellationToken ct);

    /// <summary>Called once the connection is up, before the first read (the initiating side sends its header).</summary>
    protected virtual void OnStarted()
    {
    }

    /// <summary>Called once when the connection has ended and nothing more is written; <paramref name="unwritten"/> are the counted stanzas never written.</summary>
    protected abstract ValueTask OnEndedAsync(List<Element> unwritten);

    /// <summary>Closes the stream with a stream error (RFC 6120 §4.9): header first if none was sent, the error, the closing tag.</summary>
    public void CloseStream(StreamErrorCondition condition, string? text = null)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        Log.ClosingWithError(Logger, ConnectionId, condition, text);
        EnsureHeaderSent();
        Outbox.TryWrite(new Outbound(OutboundKind.Element, StreamErrors.Build(condition, text)));
        Outbox.TryWrite(new Outbound(OutboundKind.Close));
        Outbox.TryComplete();
        Wake();
    }

    /// <summary>Closes the stream without an error (RFC 6120 §4.4): the closing tag after what is queued.</summary>
    public void CloseGracefully()
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        Outbox.TryWrite(new Outbound(OutboundKind.Close));
        Outbox.TryComplete();
    }

    /// <summary>Makes sure a stream error goes after a header (RFC 6120 §4.9.1.2); the receiving side overrides it.</summary>
    protected virtual void EnsureHeaderSent()
    {
    }

    /// <summary>
    /// Runs the connection until either side closes it; never throws. With <paramref name="directTls"/> the TLS handshake
    /// comes first, before any XML (XEP-0368 direct TLS).
    /// </summary>
    public async Task RunAsync(ConnectionContext connection, bool directTls = false)
    {
        _connection = connection;
        StartedWithTls = directTls;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        using var scope = Logger.BeginScope("S2S connection {ConnectionId} with {Remote}", connection.ConnectionId, connection.RemoteEndPoint);
        var writer = Task.CompletedTask;
        try
        {
            if (directTls)
            {
                await StartTlsAsync().ConfigureAwait(false);
            }

            writer = WriteLoopAsync();
            OnStarted();
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (StreamErrorException e)
        {
            CloseStream(e.Condition, e.Text);
        }
        catch (Exception e) when (IsConnectionTeardown(e))
        {
            Log.ConnectionDropped(Logger, ConnectionId, e);
        }
        catch (Exception e)
        {
            Log.StreamFailed(Logger, e, ConnectionId);
            CloseStream(StreamErrorCondition.InternalServerError);
        }
        finally
        {
            await EndAsync(writer).ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            // The reader changes once, at STARTTLS; each round reads from the current one.
            var input = _input!;
            ReadResult result;
            try
            {
                result = await input.ReadAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }

            Volatile.Write(ref _lastActivity, Manager.Time.GetTimestamp());
            var buffer = result.Buffer;
            var upgrade = false;
            var ended = false;
            try
            {
                while (Parser.TryRead(ref buffer, out var ev))
                {
                    if (ev.Kind == XmlStreamEventKind.StreamClose)
                    {
                        // RFC 6120 §4.4: answer the closing tag with ours, then end.
                        CloseGracefully();
                        ended = true;
                        break;
                    }

                    upgrade = await OnEventAsync(ev).ConfigureAwait(false);
                    if (upgrade)
                    {
                        break;
                    }
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (ended)
            {
                return;
            }

            if (upgrade)
            {
                await UpgradeToTlsAsync().ConfigureAwait(false);
                continue;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>
    /// RFC 6120 §5.4.3.3: after <c>&lt;proceed/&gt;</c> the writer is parked once it has flushed, the TLS handshake runs on
    /// the raw pipes, and both sides continue over TLS with a fresh parser (the stream restarts).
    /// </summary>
    private async Task UpgradeToTlsAsync()
    {
        var barrier = new WriterBarrier();
        Outbox.TryWrite(new Outbound(OutboundKind.Barrier, barrier: barrier));
        await barrier.Reached.Task.ConfigureAwait(false);
        try
        {
            await StartTlsAsync().ConfigureAwait(false);
        }
        finally
        {
            barrier.Resume.TrySetResult();
        }

        Parser.Reset();
        OnTlsEstablished();
    }

    /// <summary>Runs this side's TLS handshake on the raw transport and moves reading and writing over it.</summary>
    private async Task StartTlsAsync()
    {
        var stream = new DuplexPipeStream(_connection!.Transport);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        SslStream tls;
        try
        {
            tls = await AuthenticateTlsAsync(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            // After a failed handshake no XML can be exchanged any more: the connection just ends.
            throw new ConnectionTeardownException("TLS handshake failed: " + e.Message, e);
        }

        _tls = tls;
        _input = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>Called after the TLS handshake, before the restarted stream's first byte is read.</summary>
    protected virtual void OnTlsEstablished()
    {
    }

    private async Task WriteLoopAsync()
    {
        var reader = Outbox;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryPeek(out var item))
                {
                    switch (item.Kind)
                    {
                        case OutboundKind.Element:
                            ElementWriter.Write(item.Element!, _output!, Ns.Client);
                            break;
                        case OutboundKind.Header:
                            WriteHeader(_output!);
                            break;
                        case OutboundKind.Barrier:
                            await _output!.FlushAsync().ConfigureAwait(false);
                            item.Barrier!.Reached.TrySetResult();
                            await item.Barrier.Resume.Task.ConfigureAwait(false);
                            break;
                        case OutboundKind.Close:
                            ElementWriter.WriteStreamFooter(_output!);
                            await _output!.FlushAsync().ConfigureAwait(false);
                            reader.TryRead(out _);
                            return;
                    }

                    // Taken off the queue only once written into the pipe: what is still queued when the connection
                    // ends is handed to OnEndedAsync, so that it is routed again or bounced.
                    reader.TryRead(out _);
                    if (item.Counted)
                    {
                        Interlocked.Decrement(ref _queued);
                    }
                }

                Volatile.Write(ref _lastActivity, Manager.Time.GetTimestamp());
                var flush = await _output!.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (IsConnectionTeardown(e))
        {
            Log.ConnectionDropped(Logger, ConnectionId, e);
        }
        finally
        {
            // Nothing can be written any more: stop accepting stanzas and wake the reader.
            Interlocked.Exchange(ref _closeRequested, 1);
            Outbox.TryComplete();
            Wake();
        }
    }

    private void Wake()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended on its own meanwhile: nothing to wake.
        }
    }

    private async Task EndAsync(Task writer)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
        {
            Outbox.TryWrite(new Outbound(OutboundKind.Close));
        }

        Outbox.TryComplete();
        var writerEnded = await WriterShutdown.EndAsync(
            writer, _connection!, "The peer does not read what is written to it", e => Log.ConnectionDropped(Logger, ConnectionId, e)).ConfigureAwait(false);
        var unwritten = new List<Element>();
        while (Outbox.TryRead(out var item))
        {
            if (item.Kind == OutboundKind.Element && item.Counted)
            {
                unwritten.Add(item.Element!);
            }
        }

        try
        {
            await OnEndedAsync(unwritten).ConfigureAwait(false);
        }
        finally
        {
            if (_tls is not null && writerEnded)
            {
                await _tls.DisposeAsync().ConfigureAwait(false);
            }

            if (writerEnded)
            {
                // Not under a write still in progress: the pipe allows one writer at a time.
                await _connection!.Transport.Output.CompleteAsync().ConfigureAwait(false);
            }

            await _connection!.Transport.Input.CompleteAsync().ConfigureAwait(false);
            _closing.Dispose();
        }
    }

    private static bool IsConnectionTeardown(Exception e) =>
        e is ConnectionResetException or ConnectionAbortedException or OperationCanceledException or IOException or ObjectDisposedException
        || e.InnerException is System.Net.Sockets.SocketException;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4600, Level = LogLevel.Debug, Message = "S2S connection {ConnectionId} dropped")]
        public static partial void ConnectionDropped(ILogger logger, string connectionId, Exception e);

        [LoggerMessage(EventId = 4601, Level = LogLevel.Error, Message = "S2S connection {ConnectionId} failed")]
        public static partial void StreamFailed(ILogger logger, Exception e, string connectionId);

        [LoggerMessage(EventId = 4602, Level = LogLevel.Information, Message = "S2S connection {ConnectionId} closing with stream error {Condition}: {Text}")]
        public static partial void ClosingWithError(ILogger logger, string connectionId, StreamErrorCondition condition, string? text);
    }
}
