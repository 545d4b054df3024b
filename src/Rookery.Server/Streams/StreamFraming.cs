using Rookery.Protocol.Xml;

namespace Rookery.Server.Streams;

/// <summary>
/// How a client stream that does not run over a raw TCP byte stream writes its stream-level framing: the seam through
/// which XMPP over WebSocket (RFC 7395) reuses <see cref="C2sStream"/>. A transport sets an instance as a feature of its
/// connection; a TCP connection has none and the stream writes the classic <c>&lt;stream:stream&gt;</c> framing.
/// </summary>
internal abstract class StreamFraming
{
    /// <summary>True when the transport under the stream is encrypted (wss://), so no STARTTLS is needed or offered.</summary>
    public abstract bool IsSecure { get; }

    /// <summary>Writes the server's answer to a stream (re)start.</summary>
    public abstract void WriteHeader(string from, string id);

    /// <summary>Writes one top-level element (stanza, nonza, features or stream error) as one transport message.</summary>
    public abstract void WriteElement(Element element);

    /// <summary>Writes an XEP-0198 acknowledgement request as one transport message.</summary>
    public abstract void WriteAckRequest();

    /// <summary>Writes the end of the stream, naming where to reconnect when <paramref name="seeOtherUri"/> is set.</summary>
    public abstract void WriteClose(string? seeOtherUri);

    /// <summary>
    /// The address that replaces a <c>see-other-host</c> stream error naming <paramref name="host"/> (RFC 7395 §3.6.1),
    /// or null when the transport uses the stream error.
    /// </summary>
    public abstract string? SeeOtherUri(string host);
}
