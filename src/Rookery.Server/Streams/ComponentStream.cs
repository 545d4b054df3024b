using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.Server.Routing;

namespace Rookery.Server.Streams;

/// <summary>
/// One external component connection (XEP-0114). In accept mode the component dials: stream header to a configured
/// component domain, the SHA-1 handshake, then an instance of that domain in the <see cref="ComponentRegistry"/>. In
/// connect mode this node dialled the component's listener (Tigase's <c>connect</c>): the node is the initiating entity,
/// so it opens the stream (<c>jabber:component:connect</c>) and proves the secret with the handshake, and the component
/// answers an empty <c>&lt;handshake/&gt;</c>. The component's stanzas
/// are checked (its own domain in 'from') and routed in order on the read loop; stanzas routed to it go through one
/// outgoing queue drained by one writer loop. Stanzas still queued when the connection ends are routed again, so
/// they reach another instance or bounce instead of vanishing.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The connection owns its lifetime: RunAsync disposes everything when the connection ends.")]
public sealed partial class ComponentStream : IComponentInstance
{
    private readonly ConnectionContext _connection;
    private readonly ComponentServices _services;
    private readonly XmlStreamParser _parser;
    // Unbounded; the limit is Limits:MaxLinkOutboundQueue, counted in Send. Holds no slots while drained (issue #6).
    private readonly OutboundQueue _outbox = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly bool _dialled;
    private StreamState _state = StreamState.AwaitingHeader;
    private string _streamId = string.Empty;
    private ComponentDomainRoute? _route;
    private int _closeRequested;
    private int _headerSent;
    private int _queued;
    private bool _registered;

    /// <summary>Creates a stream over an accepted connection, or (with <paramref name="dialledRoute"/>) over one this node dialled.</summary>
    internal ComponentStream(ConnectionContext connection, ComponentServices services, ComponentDomainRoute? dialledRoute = null)
    {
        _connection = connection;
        _services = services;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        var limits = services.Options.Limits;
        _parser = new XmlStreamParser(new XmlLimits
        {
            MaxStanzaBytes = limits.MaxStanzaBytes,
            MaxDepth = limits.MaxDepth,
            MaxAttributes = limits.MaxAttributes,
        });
        // XEP-0114 §3: stanzas travel in jabber:component:accept; inside the server every stanza is jabber:client.
        _parser.AliasNamespace(Ns.Component, Ns.Client);
        Name = services.Registry.NodeName + "/" + connection.ConnectionId;
        if (dialledRoute is not null)
        {
            // XEP-0114 §2: a stream the server opens to a component is qualified by jabber:component:connect.
            _dialled = true;
            _route = dialledRoute;
            _parser.AliasNamespace(Ns.ComponentConnect, Ns.Client);
        }
    }

    private enum StreamState
    {
        AwaitingHeader,
        AwaitingHandshake,
        Authenticated,
        Closed,
    }

    /// <inheritdoc />
    public string Domain => _route?.Domain ?? string.Empty;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool IsLocal => true;

    /// <summary>True once the handshake succeeded (the instance served for a while); the connector resets its backoff then.</summary>
    internal bool WasAuthenticated => _registered;

    private ILogger Logger => _services.Logger;

    /// <inheritdoc />
    public bool Send(Element stanza)
    {
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            return false;
        }

        if (Interlocked.Increment(ref _queued) > _services.Options.Limits.MaxLinkOutboundQueue)
        {
            // A component that does not read its socket must not make the server buffer without bound. This stanza goes
            // to another instance or bounces (the route sees false); what is queued is routed again when the stream ends.
            Interlocked.Decrement(ref _queued);
            CloseStream(StreamErrorCondition.ResourceConstraint, "Too many stanzas waiting to be written");
            return false;
        }

        if (_outbox.TryWrite(new Outbound(OutboundKind.Element, stanza, counted: true)))
        {
            return true;
        }

        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>Closes the stream with a stream error (RFC 6120 §4.9).</summary>
    public void CloseStream(StreamErrorCondition condition, string? text = null)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        Log.ClosingWithError(Logger, _connection.ConnectionId, condition, text);
        EnsureHeaderSent();
        _outbox.TryWrite(new Outbound(OutboundKind.Element, StreamErrors.Build(condition, text)));
        _outbox.TryWrite(new Outbound(OutboundKind.Close));
        _outbox.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended on its own meanwhile: nothing to wake.
        }
    }

    /// <summary>Runs the connection until either side closes it; never throws.</summary>
    internal async Task RunAsync()
    {
        _services.Connections.Add(this);
        using var scope = Logger.BeginScope("Component connection {ConnectionId} from {Remote}", _connection.ConnectionId, _connection.RemoteEndPoint);
        var writer = Task.CompletedTask;
        try
        {
            writer = WriteLoopAsync();
            if (_dialled)
            {
                // The initiating entity speaks first (RFC 6120 §4.2).
                SendHeader();
            }

            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (StreamErrorException e)
        {
            CloseStream(e.Condition, e.Text);
        }
        catch (Exception e) when (IsConnectionTeardown(e))
        {
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

    private async Task ReadLoopAsync()
    {
        using var handshakeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(_services.Options.Limits.AuthTimeoutSeconds), _services.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(handshakeTimeout.Token, _closing.Token);
        while (true)
        {
            var token = _state == StreamState.Authenticated ? _closing.Token : linked.Token;
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (handshakeTimeout.IsCancellationRequested && !_closing.IsCancellationRequested)
            {
                throw new StreamErrorException(StreamErrorCondition.ConnectionTimeout, "The handshake took too long");
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }

            var buffer = result.Buffer;
            try
            {
                while (_state != StreamState.Closed && _parser.TryRead(ref buffer, out var ev))
                {
                    await HandleEventAsync(ev).ConfigureAwait(false);
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (_state == StreamState.Closed || result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private async ValueTask HandleEventAsync(XmlStreamEvent ev)
    {
        switch (ev.Kind)
        {
            case XmlStreamEventKind.StreamOpen:
                OnStreamHeader(ev.Element!);
                return;
            case XmlStreamEventKind.StreamClose:
                // RFC 6120 §4.4: answer the closing tag with ours, then end.
                if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
                {
                    _outbox.TryWrite(new Outbound(OutboundKind.Close));
                    _outbox.TryComplete();
                }

                _state = StreamState.Closed;
                return;
        }

        var element = ev.Element!;
        if (_state == StreamState.Authenticated)
        {
            await HandleStanzaAsync(element).ConfigureAwait(false);
            return;
        }

        OnHandshake(element);
    }

    private void OnStreamHeader(Element header)
    {
        if (_dialled)
        {
            OnComponentHeader(header);
            return;
        }

        _streamId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var to = header.GetAttribute("to");
        if (to is not null && Jid.TryParse(to, out var toJid) && toJid.IsDomain && toJid.IsBare)
        {
            _route = _services.Registry.Find(toJid.Domain);
        }

        // XEP-0114 §3: the server's header carries the component's name in 'from' and the stream id for the handshake.
        SendHeader();
        if (_parser.ContentNamespace != Ns.Component)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidNamespace, "Component streams use jabber:component:accept");
        }

        if (_route is null)
        {
            Log.UnknownDomain(Logger, _connection.ConnectionId, to);
            throw new StreamErrorException(StreamErrorCondition.HostUnknown, to is null ? "The stream header has no 'to'" : $"{to} is not a component domain of this server");
        }

        _state = StreamState.AwaitingHandshake;
    }

    /// <summary>
    /// Connect mode: the component's answering header carries the stream id; as the initiating entity this node proves
    /// the shared secret with <c>&lt;handshake&gt;hex(SHA-1(id + secret))&lt;/handshake&gt;</c> (XEP-0114 §3).
    /// </summary>
    private void OnComponentHeader(Element header)
    {
        if (_parser.ContentNamespace != Ns.ComponentConnect)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidNamespace, "A component this node connects to answers in jabber:component:connect");
        }

        if (header.GetAttribute("id") is not { Length: > 0 } id)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidXml, "The component's stream header has no id for the handshake");
        }

        _streamId = id;
        var handshake = new Element("handshake", Ns.Client);
        handshake.AddText(HandshakeDigest(id, _route!.Secret));
        _outbox.TryWrite(new Outbound(OutboundKind.Element, handshake));
        _state = StreamState.AwaitingHandshake;
    }

    private void OnHandshake(Element element)
    {
        if (_dialled)
        {
            OnHandshakeAnswer(element);
            return;
        }

        if (_state != StreamState.AwaitingHandshake || element.Name != "handshake" || element.Namespace != Ns.Client)
        {
            throw new StreamErrorException(StreamErrorCondition.NotAuthorized, "The handshake must come first");
        }

        var route = _route!;
        if (!HandshakeMatches(element.Text, _streamId, route.Secret))
        {
            Log.HandshakeFailed(Logger, _connection.ConnectionId, route.Domain, _connection.RemoteEndPoint?.ToString());
            throw new StreamErrorException(StreamErrorCondition.NotAuthorized, "Handshake failed: wrong secret");
        }

        _state = StreamState.Authenticated;
        _outbox.TryWrite(new Outbound(OutboundKind.Element, new Element("handshake", Ns.Client)));
        _registered = true;
        _services.Registry.AddLocal(this);
        Log.Authenticated(Logger, _connection.ConnectionId, route.Domain, Name);
    }

    /// <summary>Connect mode: the component's answer to our handshake, an empty <c>&lt;handshake/&gt;</c> or a stream error.</summary>
    private void OnHandshakeAnswer(Element element)
    {
        var route = _route!;
        if (element.Name == "handshake" && element.Namespace == Ns.Client)
        {
            _state = StreamState.Authenticated;
            _registered = true;
            _services.Registry.AddLocal(this);
            Log.Authenticated(Logger, _connection.ConnectionId, route.Domain, Name);
            return;
        }

        if (element.Name == "error" && element.Namespace == Ns.Streams)
        {
            // Usually <not-authorized/>: the component holds another secret. Nothing to answer; the connector retries.
            var condition = element.Elements().FirstOrDefault(c => c.Namespace == Ns.StreamErrors && c.Name != "text")?.Name ?? "undefined-condition";
            Log.DialRefused(Logger, _connection.ConnectionId, route.Domain, _connection.RemoteEndPoint?.ToString(), condition);
            _state = StreamState.Closed;
            if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
            {
                _outbox.TryWrite(new Outbound(OutboundKind.Close));
                _outbox.TryComplete();
            }

            return;
        }

        throw new StreamErrorException(StreamErrorCondition.NotAuthorized, "Expected the component's <handshake/>");
    }

    /// <summary>XEP-0114 §3: the handshake is the lower-case hex SHA-1 of the stream id followed by the secret.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "XEP-0114 §3 fixes SHA-1 for the handshake; the wire protocol offers no other hash.")]
    internal static string HandshakeDigest(string streamId, string secret) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(streamId + secret)));

    /// <summary>Checks a handshake the component sent against the stream id and secret, in constant time.</summary>
    internal static bool HandshakeMatches(string given, string streamId, string secret)
    {
        var expected = HandshakeDigest(streamId, secret);
        var actual = given.Trim().ToLowerInvariant();
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual));
    }

    private async ValueTask HandleStanzaAsync(Element element)
    {
        if (element.Namespace != Ns.Client || element.Name is not ("message" or "presence" or "iq"))
        {
            throw new StreamErrorException(StreamErrorCondition.UnsupportedStanzaType, $"<{element.Name} xmlns='{element.Namespace}'/> is not a stanza");
        }

        var route = _route!;
        // XEP-0114 §3: a component may only send from its own domain; anything else is spoofing and ends the stream
        // (RFC 6120 §4.9.3.9 invalid-from), as a missing address does (§4.9.3.7 improper-addressing).
        var fromAttr = element.GetAttribute("from");
        if (fromAttr is null)
        {
            throw new StreamErrorException(StreamErrorCondition.ImproperAddressing, "Stanzas from a component need a 'from'");
        }

        if (!Jid.TryParse(fromAttr, out var from) || from.Domain != route.Domain)
        {
            Log.SpoofedFrom(Logger, _connection.ConnectionId, route.Domain, fromAttr);
            throw new StreamErrorException(StreamErrorCondition.InvalidFrom, $"A component of {route.Domain} cannot send from {fromAttr}");
        }

        var toAttr = element.GetAttribute("to");
        if (toAttr is null)
        {
            throw new StreamErrorException(StreamErrorCondition.ImproperAddressing, "Stanzas from a component need a 'to'");
        }

        if (!Jid.TryParse(toAttr, out var to))
        {
            await _services.Router.BounceAsync(new Stanza(element, from, from), StanzaErrorCondition.JidMalformed).ConfigureAwait(false);
            return;
        }

        await _services.Router.RouteAsync(new Stanza(element, from, to)).ConfigureAwait(false);
    }

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
            _streamId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        }

        SendHeader();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outbox;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryPeek(out var item))
                {
                    switch (item.Kind)
                    {
                        case OutboundKind.Element:
                            // jabber:client elements are written unqualified, so they land in the stream's default
                            // namespace, jabber:component:accept.
                            ElementWriter.Write(item.Element!, _output, Ns.Client);
                            break;
                        case OutboundKind.Header when _dialled:
                            // Connect mode: we are the initiating entity, addressing the component; it assigns the id.
                            ElementWriter.WriteStreamHeader(_output, Ns.ComponentConnect, null, _route!.Domain, null, version: null);
                            break;
                        case OutboundKind.Header:
                            ElementWriter.WriteStreamHeader(_output, Ns.Component, _route?.Domain, null, _streamId, version: null);
                            break;
                        case OutboundKind.Close:
                            ElementWriter.WriteStreamFooter(_output);
                            await _output.FlushAsync().ConfigureAwait(false);
                            reader.TryRead(out _);
                            return;
                    }

                    // Taken off the queue only once written into the pipe: what is still queued when the connection
                    // ends is routed again by EndAsync.
                    reader.TryRead(out _);
                    if (item.Counted)
                    {
                        Interlocked.Decrement(ref _queued);
                    }
                }

                var flush = await _output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (IsConnectionTeardown(e))
        {
            Log.ConnectionDropped(Logger, _connection.ConnectionId, e);
        }
        finally
        {
            // Nothing can be written any more: stop accepting stanzas and wake the reader.
            Interlocked.Exchange(ref _closeRequested, 1);
            _outbox.TryComplete();
            try
            {
                _closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The reader has already cleaned up.
            }
        }
    }

    private async Task EndAsync(Task writer)
    {
        _state = StreamState.Closed;
        if (Interlocked.Exchange(ref _closeRequested, 1) == 0)
        {
            _outbox.TryWrite(new Outbound(OutboundKind.Close));
        }

        _outbox.TryComplete();
        var writerEnded = await WriterShutdown.EndAsync(
            writer, _connection, "The component does not read what is written to it", e => Log.ConnectionDropped(Logger, _connection.ConnectionId, e)).ConfigureAwait(false);
        if (_registered)
        {
            // Out of the table first, so that the stanzas routed again below go to another instance (or bounce).
            _services.Registry.RemoveLocal(this);
            await RerouteUnwrittenAsync().ConfigureAwait(false);
        }

        _services.Connections.Remove(this);
        if (writerEnded)
        {
            // Not under a write still in progress: the pipe allows one writer at a time.
            await _output.CompleteAsync().ConfigureAwait(false);
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    /// <summary>Routes again every stanza that was queued for this instance but never written (seed 000: never silently lost).</summary>
    private async Task RerouteUnwrittenAsync()
    {
        var count = 0;
        while (_outbox.TryRead(out var item))
        {
            if (item.Kind != OutboundKind.Element || !item.Counted)
            {
                continue;
            }

            var stanza = item.Element!;
            if (Jid.TryParse(stanza.GetAttribute("from"), out var from) && Jid.TryParse(stanza.GetAttribute("to"), out var to))
            {
                count++;
                await _services.Router.RouteAsync(new Stanza(stanza, from, to)).ConfigureAwait(false);
            }
        }

        if (count > 0)
        {
            Log.Rerouted(Logger, _connection.ConnectionId, count);
        }
    }

    private static bool IsConnectionTeardown(Exception e) =>
        e is ConnectionResetException or ConnectionAbortedException or OperationCanceledException or IOException or ObjectDisposedException
        || e.InnerException is System.Net.Sockets.SocketException;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1110, Level = LogLevel.Debug, Message = "Component connection {ConnectionId} dropped")]
        public static partial void ConnectionDropped(ILogger logger, string connectionId, Exception e);

        [LoggerMessage(EventId = 1111, Level = LogLevel.Error, Message = "Component connection {ConnectionId} failed")]
        public static partial void StreamFailed(ILogger logger, Exception e, string connectionId);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "Component connection {ConnectionId} closing with stream error {Condition}: {Text}")]
        public static partial void ClosingWithError(ILogger logger, string connectionId, StreamErrorCondition condition, string? text);

        [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Component connection {ConnectionId} from {Remote} failed the handshake for {Domain}: wrong secret")]
        public static partial void HandshakeFailed(ILogger logger, string connectionId, string domain, string? remote);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Information, Message = "Component connection {ConnectionId} authenticated for {Domain} as instance {Name}")]
        public static partial void Authenticated(ILogger logger, string connectionId, string domain, string name);

        [LoggerMessage(EventId = 1115, Level = LogLevel.Warning, Message = "Component connection {ConnectionId} of {Domain} sent a stanza from {From}: closed")]
        public static partial void SpoofedFrom(ILogger logger, string connectionId, string domain, string from);

        [LoggerMessage(EventId = 1116, Level = LogLevel.Information, Message = "Component connection {ConnectionId} asked for unknown component domain {Domain}")]
        public static partial void UnknownDomain(ILogger logger, string connectionId, string? domain);

        [LoggerMessage(EventId = 1117, Level = LogLevel.Information, Message = "Component connection {ConnectionId} ended with {Count} unwritten stanza(s): routed again")]
        public static partial void Rerouted(ILogger logger, string connectionId, int count);

        [LoggerMessage(EventId = 1120, Level = LogLevel.Error, Message = "Component {Domain} at {Remote} (connection {ConnectionId}) refused this node's handshake: {Condition}")]
        public static partial void DialRefused(ILogger logger, string connectionId, string domain, string? remote, string condition);

        // Next free EventId: 1118 (1120-1139 reserved for issue #5's cluster and connect-mode work)
    }
}
