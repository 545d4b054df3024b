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

    [LoggerMessage(EventId = 4733, Level = LogLevel.Debug, Message = "BOSH session {Sid} from {Remote} created")]
    public static partial void BoshSessionCreated(ILogger logger, string sid, IPAddress? remote);

    [LoggerMessage(EventId = 4734, Level = LogLevel.Debug, Message = "BOSH session {Sid} ended")]
    public static partial void BoshSessionEnded(ILogger logger, string sid);

    [LoggerMessage(EventId = 4735, Level = LogLevel.Information, Message = "BOSH session {Sid} refused request rid {Rid}: outside the window")]
    public static partial void BoshRidRefused(ILogger logger, string sid, long rid);

    [LoggerMessage(EventId = 4736, Level = LogLevel.Information, Message = "BOSH session {Sid} timed out (no request within its inactivity limit)")]
    public static partial void BoshInactive(ILogger logger, string sid);

    // Next free EventId: 4737
}
