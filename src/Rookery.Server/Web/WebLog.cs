using System.Net;
using Microsoft.Extensions.Logging;

namespace Rookery.Server.Web;

/// <summary>Source-generated log messages of the web client endpoints (EventIds 4730–4759).</summary>
internal static partial class WebLog
{
    [LoggerMessage(EventId = 4730, Level = LogLevel.Information, Message = "WebSocket handshake from {Remote} refused: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, IPAddress? remote, string reason);

    [LoggerMessage(EventId = 4731, Level = LogLevel.Debug, Message = "WebSocket connection {ConnectionId} from {Remote} opened")]
    public static partial void WebSocketOpened(ILogger logger, string connectionId, IPAddress? remote);

    [LoggerMessage(EventId = 4732, Level = LogLevel.Debug, Message = "WebSocket connection {ConnectionId} ended without a complete closing handshake")]
    public static partial void CloseHandshakeIncomplete(ILogger logger, string connectionId, Exception e);

    // Next free EventId: 4733
}
