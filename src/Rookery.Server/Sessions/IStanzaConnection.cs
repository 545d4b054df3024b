using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Sessions;

/// <summary>The connection a client session currently writes through (a session outlives it under stream management).</summary>
public interface IStanzaConnection
{
    /// <summary>Queues a stanza for writing; false when the connection is closing.</summary>
    bool Write(Element stanza);

    /// <summary>Closes the connection with a stream error.</summary>
    void CloseStream(StreamErrorCondition condition, string? text);
}
