using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Streams;

namespace Rookery.Server.Web;

/// <summary>
/// XMPP over WebSocket (RFC 7395) for one connection: turns each WebSocket message into the bytes the client stream's
/// parser consumes (<c>&lt;open/&gt;</c> becomes a stream header, <c>&lt;close/&gt;</c> the stream's end) and writes every
/// element the stream sends as one self-contained message with its namespaces declared.
/// </summary>
internal sealed class WebSocketFraming : StreamFraming
{
    /// <summary>The framing namespace of RFC 7395 §3.3.1.</summary>
    public const string FramingNs = "urn:ietf:params:xml:ns:xmpp-framing";

    private static ReadOnlySpan<byte> StreamPrefixDeclaration => " xmlns:stream='http://etherx.jabber.org/streams'"u8;
    private static ReadOnlySpan<byte> AckRequest => "<r xmlns='urn:xmpp:sm:3'/>"u8;

    // The synthetic stream in which every incoming message is checked on its own: jabber:client is its default
    // namespace, as it is the default namespace of the stream the client stream's parser sees.
    private static ReadOnlySpan<byte> ValidatorHeader => "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"u8;

    private readonly WebSocket _socket;
    private readonly bool _secure;
    private readonly string _redirectFormat;
    private readonly MessagePipeWriter _output;
    private readonly ArrayBufferWriter<byte> _scratch = new(256);

    /// <param name="socket">The accepted WebSocket (subprotocol <c>xmpp</c>).</param>
    /// <param name="secure">Whether the HTTP connection is TLS (wss://).</param>
    /// <param name="redirectFormat">The URI of this endpoint with <c>{0}</c> in place of the host, for see-other-uri.</param>
    public WebSocketFraming(WebSocket socket, bool secure, string redirectFormat)
    {
        _socket = socket;
        _secure = secure;
        _redirectFormat = redirectFormat;
        _output = new MessagePipeWriter(SendAsync);
    }

    /// <summary>The pipe the stream writes into.</summary>
    public PipeWriter Output => _output;

    /// <inheritdoc />
    public override bool IsSecure => _secure;

    /// <inheritdoc />
    public override void WriteHeader(string from, string id)
    {
        // RFC 7395 §3.3.2: the server answers <open/> with its own, carrying the stream's id.
        var open = new Element("open", FramingNs)
            .SetAttribute("from", from)
            .SetAttribute("id", id)
            .SetAttribute("version", "1.0")
            .SetAttribute("xml:lang", "en");
        ElementWriter.Write(open, _output, string.Empty);
        _output.EndMessage();
    }

    /// <inheritdoc />
    public override void WriteElement(Element element)
    {
        WriteStandalone(element, _output, _scratch);
        _output.EndMessage();
    }

    /// <summary>
    /// Writes <paramref name="element"/> as a document of its own (RFC 7395 §3.3.3, XEP-0206 §5): stanzas declare
    /// <c>jabber:client</c>, and <c>&lt;stream:features/&gt;</c> or <c>&lt;stream:error/&gt;</c> declare the stream: prefix.
    /// </summary>
    internal static void WriteStandalone(Element element, IBufferWriter<byte> output, ArrayBufferWriter<byte> scratch)
    {
        if (element.Namespace == Ns.Streams)
        {
            scratch.Clear();
            ElementWriter.Write(element, scratch, string.Empty);
            var written = scratch.WrittenSpan;
            var nameEnd = 1 + "stream:".Length + System.Text.Encoding.UTF8.GetByteCount(element.Name);
            output.Write(written[..nameEnd]);
            output.Write(StreamPrefixDeclaration);
            output.Write(written[nameEnd..]);
        }
        else
        {
            // With no namespace in scope, the writer declares each element's own (jabber:client on stanzas).
            ElementWriter.Write(element, output, string.Empty);
        }
    }

    /// <inheritdoc />
    public override void WriteAckRequest()
    {
        _output.Write(AckRequest);
        _output.EndMessage();
    }

    /// <inheritdoc />
    public override void WriteClose(string? seeOtherUri)
    {
        var close = new Element("close", FramingNs);
        if (seeOtherUri is not null)
        {
            close.SetAttribute("see-other-uri", seeOtherUri);
        }

        ElementWriter.Write(close, _output, string.Empty);
        _output.EndMessage();
    }

    /// <inheritdoc />
    public override string? SeeOtherUri(string host)
    {
        // The other node's client address may carry its XMPP port: the web clients' URI keeps this endpoint's port and
        // path, as the nodes of a cluster serve HTTP alike.
        var name = host;
        if (System.Net.IPEndPoint.TryParse(host, out var endpoint))
        {
            name = endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        }
        else if (host.LastIndexOf(':') is var colon and > 0 && !host.Contains(']', StringComparison.Ordinal) && host.IndexOf(':') == colon)
        {
            name = host[..colon];
        }

        return string.Format(System.Globalization.CultureInfo.InvariantCulture, _redirectFormat, name);
    }

    private async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return false;
        }

        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
            return true;
        }
        catch (WebSocketException)
        {
            // The client went away mid-send: the stream sees a completed output and ends as for a dropped socket.
            return false;
        }
    }

    /// <summary>
    /// Receives messages until the client closes the WebSocket or the stream ends, checking that each is one complete
    /// element and writing its translation into <paramref name="input"/>. A message that breaks RFC 7395 closes the
    /// stream through <paramref name="stream"/> with a stream error.
    /// </summary>
    public async Task ReceiveAsync(C2sStream stream, PipeWriter input, XmlLimits limits, CancellationToken ct)
    {
        var validator = new XmlStreamParser(limits);
        var header = new ReadOnlySequence<byte>(ValidatorHeader.ToArray());
        validator.TryRead(ref header, out _);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var failed = false;
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length && (failed || buffer.Length >= limits.MaxStanzaBytes))
                    {
                        // Too large (RFC 6120 §13.12: the server's stanza size limit), or the stream is closing anyway.
                        if (!failed)
                        {
                            Fail(stream, StreamErrorCondition.PolicyViolation, "The message is larger than the server accepts");
                            failed = true;
                        }

                        count = 0;
                    }
                    else if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limits.MaxStanzaBytes));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), ct).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (failed)
                {
                    continue; // the stream is closing: what else the client sends is read only to reach its closing frame
                }

                if (result.MessageType != WebSocketMessageType.Text)
                {
                    // RFC 7395 §3.3.3: XMPP travels in text messages only.
                    Fail(stream, StreamErrorCondition.UnsupportedEncoding, "XMPP over WebSocket uses text messages (RFC 7395 §3.3.3)");
                    failed = true;
                    continue;
                }

                if (Check(validator, buffer.AsMemory(0, count), out var root) is { } problem)
                {
                    Fail(stream, problem.Condition, problem.Text);
                    failed = true;
                    continue;
                }

                if (root is null)
                {
                    continue; // whitespace only: nothing for the stream
                }

                if (root.Namespace == FramingNs && root.Name == "open")
                {
                    ElementWriter.WriteStreamHeader(input, Ns.Client, null, root.GetAttribute("to"), null, root.GetAttribute("version"), root.GetAttribute("xml:lang"));
                }
                else if (root.Namespace == FramingNs && root.Name == "close")
                {
                    ElementWriter.WriteStreamFooter(input);
                }
                else
                {
                    input.Write(buffer.AsSpan(0, count));
                }

                await input.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The HTTP connection ended under the WebSocket: as for a dropped TCP client, the stream ends resumable.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            // After a protocol error the stream is closing already; otherwise the client's closing frame (or a broken
            // connection) is the end of its input, as a TCP client's FIN is.
            if (!failed)
            {
                await input.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Closes the stream for a message that breaks RFC 7395. The loop goes on reading (and dropping) what follows until
    /// the client's closing frame, so that the stream error and <c>&lt;close/&gt;</c> are delivered before the connection goes.
    /// </summary>
    private static void Fail(C2sStream stream, StreamErrorCondition condition, string? text) => stream.CloseStream(condition, text);

    /// <summary>
    /// Checks that a message holds exactly one complete element (RFC 7395 §3.3.3) and returns it; a message of
    /// whitespace only yields no element and no problem.
    /// </summary>
    private static StreamErrorException? Check(XmlStreamParser validator, ReadOnlyMemory<byte> message, out Element? root)
    {
        root = null;
        var sequence = new ReadOnlySequence<byte>(message);
        try
        {
            while (validator.TryRead(ref sequence, out var ev))
            {
                if (ev.Kind != XmlStreamEventKind.Element || root is not null)
                {
                    return new StreamErrorException(StreamErrorCondition.NotWellFormed, "Each WebSocket message carries exactly one complete element (RFC 7395 §3.3.3)");
                }

                root = ev.Element;
            }
        }
        catch (StreamErrorException e)
        {
            return e;
        }

        if (validator.IsInsideElement)
        {
            return new StreamErrorException(StreamErrorCondition.NotWellFormed, "A WebSocket message ended inside an element (RFC 7395 §3.3.3: one complete element per message)");
        }

        foreach (var segment in sequence)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return new StreamErrorException(StreamErrorCondition.NotWellFormed, "Each WebSocket message carries exactly one complete element (RFC 7395 §3.3.3)");
                }
            }
        }

        return null;
    }
}
