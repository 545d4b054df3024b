using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;

namespace Rookery.Server.Streams;

/// <content>Source-generated log messages of client streams.</content>
public sealed partial class C2sStream
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Debug, Message = "Connection {ConnectionId} dropped")]
        public static partial void ConnectionDropped(ILogger logger, string connectionId, Exception e);

        [LoggerMessage(EventId = 501, Level = LogLevel.Error, Message = "Connection {ConnectionId} failed")]
        public static partial void StreamFailed(ILogger logger, Exception e, string connectionId);

        [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Connection {ConnectionId} closing with stream error {Condition}: {Text}")]
        public static partial void ClosingWithError(ILogger logger, string connectionId, Protocol.Errors.StreamErrorCondition condition, string? text);

        [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Connection {ConnectionId} authenticated as {User}")]
        public static partial void Authenticated(ILogger logger, string connectionId, Protocol.Addressing.Jid user);

        [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Connection {ConnectionId} failed authentication: {Failure}")]
        public static partial void AuthenticationFailed(ILogger logger, string connectionId, Protocol.Sasl.SaslFailure failure);

        [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Connection {ConnectionId} bound {Jid}")]
        public static partial void Bound(ILogger logger, string connectionId, Protocol.Addressing.Jid jid);

        [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "Broadcasting unavailable presence for {Jid} failed")]
        public static partial void UnavailableBroadcastFailed(ILogger logger, Exception e, Protocol.Addressing.Jid jid);

        [LoggerMessage(EventId = 507, Level = LogLevel.Information, Message = "Connection {ConnectionId} resumed {Jid}")]
        public static partial void Resumed(ILogger logger, string connectionId, Protocol.Addressing.Jid jid);

        [LoggerMessage(EventId = 508, Level = LogLevel.Information, Message = "Connection {ConnectionId} registered the account {User}")]
        public static partial void Registered(ILogger logger, string connectionId, string user);

        [LoggerMessage(EventId = 509, Level = LogLevel.Error, Message = "Deleting the temporary account {Jid} failed")]
        public static partial void AnonymousDeleteFailed(ILogger logger, Exception e, Jid jid);

        [LoggerMessage(EventId = 510, Level = LogLevel.Debug, Message = "Connection {ConnectionId} stops reading: its destination has {Queued} stanzas waiting")]
        public static partial void FloodPaused(ILogger logger, string connectionId, int queued);

        [LoggerMessage(EventId = 511, Level = LogLevel.Information, Message = "Connection {ConnectionId} reads on although its destination still has {Queued} stanzas waiting")]
        public static partial void FloodPauseExpired(ILogger logger, string connectionId, int queued);

        // Next free EventId: 510
    }
}
