using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Server.Streams;

/// <summary>
/// One client-to-server connection (RFC 6120): the stream state machine from header through STARTTLS, SASL and
/// resource binding, then the bound session that sends the client's stanzas to the router and writes what is routed
/// to it. Stanzas from the client are processed in order on the read loop (RFC 6120 §10.1); everything written goes
/// through one outgoing queue drained by one writer loop, which batches and flushes once per burst.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The connection owns its lifetime: RunAsync disposes everything when the connection ends.")]
public sealed partial class C2sStream : IStanzaConnection
{
    private readonly ConnectionContext _connection;
    private readonly C2sServices _services;
    private readonly bool _directTls;
    private readonly StreamFraming? _framing; // null over TCP; set by a message-framed transport (RFC 7395 WebSocket)
    private string? _seeOtherUri; // where a framed transport's closing element sends the client (RFC 7395 §3.6.1)
    private readonly XmlStreamParser _parser;
    // Unbounded; the limit is MaxOutboundQueue, counted in Write. Holds no slots while drained (issue #6).
    private readonly OutboundQueue _outbox = new();
    private readonly CancellationTokenSource _closing = new();
    private CancellationTokenSource? _authTimeout; // the negotiation deadline (Limits:AuthTimeoutSeconds), null once bound
    private CancellationTokenSource? _negotiation; // _authTimeout or _closing, null once bound
    private PipeReader _input;
    private PipeWriter _output;
    private StreamState _state = StreamState.AwaitingHeader;
    private string _streamId = string.Empty;
    private HostOptions? _host;
    private string? _domain;
    private Jid? _authenticated;
    private ClientSession? _session;
    private int _closeRequested;
    private bool _resumableDrop;
    private long _lastReadTimestamp; // TimeProvider timestamp of the last bytes from the client (idle watchdog)
    private long _pingSentTimestamp; // when the watchdog pinged, 0 when no ping is outstanding
    private int _queued; // stanzas from Send() not yet written: the outgoing queue keeps no count of them itself

    internal C2sStream(ConnectionContext connection, C2sServices services, bool directTls)
    {
        _connection = connection;
        _services = services;
        _directTls = directTls;
        _framing = connection.Features.Get<StreamFraming>();
        _input = connection.Transport.Input;
        _lastReadTimestamp = services.Time.GetTimestamp();
        _output = connection.Transport.Output;
        var limits = services.Options.Limits;
        _parser = new XmlStreamParser(new XmlLimits
        {
            MaxStanzaBytes = limits.MaxStanzaBytes,
            MaxDepth = limits.MaxDepth,
            MaxAttributes = limits.MaxAttributes,
        })
        {
            // A message routed unchanged is forwarded as it arrived, with only 'from' stamped (issue #6).
            KeepWireForms = true,
        };
    }

    private enum StreamState
    {
        AwaitingHeader,
        Negotiating,
        Bound,
        Closed,
    }

    private ILogger Logger => _services.Logger;

    private IPAddress? RemoteAddress => (_connection.RemoteEndPoint as IPEndPoint)?.Address;

    /// <inheritdoc />
    public bool Write(Element stanza)
    {
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            return false;
        }

        var queued = Interlocked.Increment(ref _queued);
        if (queued > _services.Options.Limits.MaxOutboundQueue)
        {
            // A client that does not read its socket must not make the server buffer without bound.
            CloseStream(StreamErrorCondition.ResourceConstraint, "Too many stanzas waiting to be written");
            return false;
        }

        NoteQueueLength(queued);
        return _outbox.TryWrite(new Outbound(OutboundKind.Element, stanza, counted: true));
    }

    /// <inheritdoc />
    public void CloseStream(StreamErrorCondition condition, string? text = null) => CloseWith(condition, text, null);

    /// <summary>Closes the stream with <c>see-other-host</c> naming <paramref name="host"/> (RFC 6120 §4.9.3.19).</summary>
    internal void Redirect(string host, string text) => CloseWith(StreamErrorCondition.SeeOtherHost, text, host);

    private void CloseWith(StreamErrorCondition condition, string? text, string? seeOtherHost)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        Log.ClosingWithError(Logger, _connection.ConnectionId, condition, text);
        EnsureHeaderSent();
        if (seeOtherHost is not null && _framing?.SeeOtherUri(seeOtherHost) is { } uri)
        {
            // RFC 7395 §3.6.1: over WebSocket the redirect is the <close/> element's see-other-uri, not a stream error.
            _seeOtherUri = uri;
        }
        else
        {
            _outbox.TryWrite(new Outbound(OutboundKind.Element, StreamErrors.Build(condition, text, seeOtherHost)));
        }

        _outbox.TryWrite(new Outbound(OutboundKind.Close));
        _outbox.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended on its own meanwhile (shutdown racing with the client's close): nothing to wake.
        }
    }

    /// <summary>Runs the connection until either side closes it; never throws.</summary>
    internal async Task RunAsync()
    {
        _services.Connections.Add(this);
        using var scope = Logger.BeginScope("Connection {ConnectionId} from {Remote}", _connection.ConnectionId, _connection.RemoteEndPoint);
        Task writer = Task.CompletedTask;
        try
        {
            if (_directTls)
            {
                // XEP-0368: TLS starts before any XML; SNI picks the host's certificate.
                await UpgradeToTlsAsync(sniDomain: null).ConfigureAwait(false);
            }

            writer = WriteLoopAsync();
            StartNegotiationDeadline();
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (StreamErrorException e)
        {
            CloseWith(e.Condition, e.Text, e.SeeOtherHost);
        }
        catch (Exception e) when (IsConnectionTeardown(e))
        {
            // The client vanished without closing its stream: a managed session may be resumed (XEP-0198 §5).
            _resumableDrop = true;
            Log.ConnectionDropped(Logger, _connection.ConnectionId, e);
        }
        catch (Exception e)
        {
            Log.StreamFailed(Logger, e, _connection.ConnectionId);
            CloseStream(StreamErrorCondition.InternalServerError);
        }
        finally
        {
            await EndAsync(writer).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the negotiation deadline (Limits:AuthTimeoutSeconds). It lives in fields, not in the read loop's state
    /// machine, so that once the resource is bound its timer and token sources are garbage rather than held for the
    /// connection's life (issue #6: idle connections).
    /// </summary>
    private void StartNegotiationDeadline()
    {
        _authTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(_services.Options.Limits.AuthTimeoutSeconds), _services.Time);
        _negotiation = CancellationTokenSource.CreateLinkedTokenSource(_authTimeout.Token, _closing.Token);
    }

    private void EndNegotiationDeadline()
    {
        _negotiation?.Dispose();
        _authTimeout?.Dispose();
        _negotiation = null;
        _authTimeout = null;
    }

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            if (_negotiation is not null && _state == StreamState.Bound)
            {
                // Bound: the negotiation deadline is over, so its timer goes now rather than with the connection.
                EndNegotiationDeadline();
            }

            // Until the client is bound, a stalled negotiation is cut off; afterwards only closing cancels a read.
            var negotiation = _negotiation;
            var token = negotiation is not null ? negotiation.Token : _closing.Token;
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (negotiation is not null && _authTimeout!.IsCancellationRequested && !_closing.IsCancellationRequested)
            {
                throw new StreamErrorException(StreamErrorCondition.ConnectionTimeout, "Authentication took too long");
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }

            var buffer = result.Buffer;
            var upgrade = false;
            Volatile.Write(ref _lastReadTimestamp, _services.Time.GetTimestamp());
            Volatile.Write(ref _pingSentTimestamp, 0);
            try
            {
                while (_parser.TryRead(ref buffer, out var ev))
                {
                    Backpressure.Take(); // a note left on this thread by routing that was not ours
                    upgrade = await HandleEventAsync(ev).ConfigureAwait(false);
                    if (upgrade || _state == StreamState.Closed)
                    {
                        break;
                    }

                    await PauseWhileRecipientCongestedAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (_state == StreamState.Closed)
            {
                return;
            }

            if (upgrade)
            {
                await StartTlsAsync().ConfigureAwait(false);
                continue;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                _resumableDrop = result.IsCompleted;
                return;
            }
        }
    }

    /// <summary>Handles one parser event; returns true when the transport must now be upgraded to TLS.</summary>
    private async ValueTask<bool> HandleEventAsync(XmlStreamEvent ev)
    {
        switch (ev.Kind)
        {
            case XmlStreamEventKind.StreamOpen:
                OnStreamHeader(ev.Element!);
                return false;
            case XmlStreamEventKind.StreamClose:
                // RFC 6120 §4.4: answer the closing tag with ours, then end.
                if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
                {
                    _outbox.TryWrite(new Outbound(OutboundKind.Close));
                    _outbox.TryComplete();
                }

                _state = StreamState.Closed;
                return false;
        }

        var element = ev.Element!;
        if (_state == StreamState.Bound)
        {
            await HandleStanzaAsync(element).ConfigureAwait(false);
            return false;
        }

        return await HandleNegotiationAsync(element).ConfigureAwait(false);
    }

    private void OnStreamHeader(Element header)
    {
        _streamId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var to = header.GetAttribute("to");
        string? domain = null;
        if (to is not null && Jid.TryParse(to, out var toJid) && toJid.IsDomain && toJid.IsBare)
        {
            domain = toJid.Domain;
        }

        _domain = domain is not null && _services.Hosts.IsLocal(domain) ? domain : _domain ?? _services.Hosts.Domains[0];
        _host = _services.Hosts.Find(_domain);
        SendHeader();
        if (_parser.ContentNamespace != Ns.Client)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidNamespace, "Client streams use jabber:client");
        }

        // RFC 6120 §4.9.3.6: a 'to' that is not one of ours ends the stream.
        if (domain is null || !_services.Hosts.IsLocal(domain))
        {
            throw new StreamErrorException(StreamErrorCondition.HostUnknown, to is null ? "The stream header has no 'to'" : $"This server does not serve {to}");
        }

        // A node that drains or lost its cluster view takes no new logins: RFC 6120 §4.9.3.19 sends the client to a
        // live node, or §4.9.3.20 says the server is going away when there is none to name. Checked at every
        // header, so a login in progress (stream restarts after TLS and SASL) is refused too.
        if (!_services.Gate.IsOpen)
        {
            throw _services.Gate.RedirectTo is { } other
                ? new StreamErrorException(StreamErrorCondition.SeeOtherHost, _services.Gate.Reason, other)
                : new StreamErrorException(StreamErrorCondition.SystemShutdown, _services.Gate.Reason);
        }

        // RFC 6120 §4.7.5: no version means a pre-1.0 peer; we speak only 1.0.
        var version = header.GetAttribute("version");
        if (version is null || !version.StartsWith("1.", StringComparison.Ordinal))
        {
            throw new StreamErrorException(StreamErrorCondition.UnsupportedVersion, "XMPP 1.0 is required");
        }

        if (_state == StreamState.Closed)
        {
            return;
        }

        _state = StreamState.Negotiating;
        SendFeatures();
    }

    private int _headerSent;

    private void SendHeader()
    {
        if (Interlocked.Exchange(ref _headerSent, 1) == 0)
        {
            _outbox.TryWrite(new Outbound(OutboundKind.Header));
        }
    }

    /// <summary>RFC 6120 §4.9.1.2: an error before our header still needs the header first.</summary>
    private void EnsureHeaderSent()
    {
        if (string.IsNullOrEmpty(_streamId))
        {
            _streamId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        }

        SendHeader();
    }

    private void SendElement(Element element) => _outbox.TryWrite(new Outbound(OutboundKind.Element, element));

    private async Task WriteLoopAsync()
    {
        var reader = _outbox;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    switch (item.Kind)
                    {
                        case OutboundKind.Element:
                            if (_framing is null)
                            {
                                ElementWriter.Write(item.Element!, _output, Ns.Client);
                            }
                            else
                            {
                                _framing.WriteElement(item.Element!);
                            }

                            if (item.Counted)
                            {
                                Interlocked.Decrement(ref _queued);
                            }

                            break;
                        case OutboundKind.Header:
                            if (_framing is null)
                            {
                                ElementWriter.WriteStreamHeader(_output, Ns.Client, _domain ?? _services.Hosts.Domains[0], null, _streamId);
                            }
                            else
                            {
                                _framing.WriteHeader(_domain ?? _services.Hosts.Domains[0], _streamId);
                            }

                            break;
                        case OutboundKind.Barrier:
                            await _output.FlushAsync().ConfigureAwait(false);
                            item.Barrier!.Reached.TrySetResult();
                            await item.Barrier.Resume.Task.ConfigureAwait(false);
                            break;
                        case OutboundKind.Close:
                            if (_framing is null)
                            {
                                ElementWriter.WriteStreamFooter(_output);
                            }
                            else
                            {
                                _framing.WriteClose(_seeOtherUri);
                            }

                            await _output.FlushAsync().ConfigureAwait(false);
                            return;
                    }
                }

                // XEP-0198 §4: ask for an acknowledgement once per burst while stanzas are unacknowledged.
                if (_session is { } session && session.TakeAckRequest())
                {
                    if (_framing is null)
                    {
                        _output.Write(AckRequest);
                    }
                    else
                    {
                        _framing.WriteAckRequest();
                    }
                }

                var flush = await _output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return;
                }

                ReleaseDrainWaiters(onlyIfDrained: true);
            }
        }
        catch (Exception e) when (IsConnectionTeardown(e))
        {
            Log.ConnectionDropped(Logger, _connection.ConnectionId, e);
        }
        finally
        {
            // Nothing can be written any more: stop accepting stanzas and wake the reader and any sender waiting on us.
            Interlocked.Exchange(ref _closeRequested, 1);
            _outbox.TryComplete();
            ReleaseDrainWaiters(onlyIfDrained: false);
            try
            {
                _closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The reader gave up waiting for this writer and has already cleaned up.
            }
        }
    }

    private async Task EndAsync(Task writer)
    {
        _state = StreamState.Closed;
        EndNegotiationDeadline();
        if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
        {
            _outbox.TryWrite(new Outbound(OutboundKind.Close));
        }

        _outbox.TryComplete();
        var writerEnded = await WaitForWriterAsync(writer).ConfigureAwait(false);
        if (!writerEnded)
        {
            // The writer is stuck in a write the client does not read (its socket takes nothing more). Completing the
            // output under that write would fail (SslStream allows one write at a time): abort the connection so that
            // the pending write fails and the writer ends.
            _connection.Abort(new ConnectionAbortedException("The client does not read what is written to it"));
            writerEnded = await WaitForWriterAsync(writer).ConfigureAwait(false);
        }

        if (_session is not null)
        {
            await _services.Lifecycle.ConnectionLostAsync(_session, this, _resumableDrop && !_services.Connections.IsShuttingDown).ConfigureAwait(false);
        }
        else if (_anonymousAccount is not null)
        {
            // Authenticated anonymously but never bound: no session will end, so the stream removes the account.
            await DeleteAnonymousAccountAsync(_anonymousAccount).ConfigureAwait(false);
        }

        _services.Connections.Remove(this);
        if (writerEnded)
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        _closing.Dispose();
        DisposeTls();
    }

    /// <summary>Waits a bounded time for the writer loop to end; false when it is still running.</summary>
    private async Task<bool> WaitForWriterAsync(Task writer)
    {
        try
        {
            await writer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException e)
        {
            Log.ConnectionDropped(Logger, _connection.ConnectionId, e);
            return false;
        }
        catch (Exception e) when (IsConnectionTeardown(e))
        {
            Log.ConnectionDropped(Logger, _connection.ConnectionId, e);
            return true;
        }
    }

    /// <summary>
    /// Called by the idle watchdog: pings a bound client that has been silent for <paramref name="idle"/>, and closes
    /// the stream when a ping has gone unanswered for <paramref name="timeout"/> (any data counts as an answer).
    /// </summary>
    internal void CheckIdle(TimeSpan idle, TimeSpan timeout)
    {
        if (_session is not { } session || _state != StreamState.Bound)
        {
            return;
        }

        var time = _services.Time;
        var pinged = Volatile.Read(ref _pingSentTimestamp);
        if (pinged != 0)
        {
            if (time.GetElapsedTime(pinged) >= timeout)
            {
                CloseStream(StreamErrorCondition.ConnectionTimeout, "No answer to the idle check");
            }

            return;
        }

        if (time.GetElapsedTime(Volatile.Read(ref _lastReadTimestamp)) < idle)
        {
            return;
        }

        Volatile.Write(ref _pingSentTimestamp, time.GetTimestamp());
        var ping = new Element("iq", Ns.Client)
            .SetAttribute("type", "get")
            .SetAttribute("id", "idle-" + _streamId)
            .SetAttribute("from", session.Jid.Domain)
            .SetAttribute("to", session.Jid.ToString());
        ping.AddChild("ping", "urn:xmpp:ping");
        session.Send(ping);
    }

    private static ReadOnlySpan<byte> AckRequest => "<r xmlns='urn:xmpp:sm:3'/>"u8;

    private static bool IsConnectionTeardown(Exception e) =>
        e is ConnectionResetException or ConnectionAbortedException or OperationCanceledException or IOException or ObjectDisposedException
        || e.InnerException is System.Net.Sockets.SocketException;
}
