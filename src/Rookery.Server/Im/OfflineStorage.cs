using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Server.Im;

/// <summary>
/// Offline messages (XEP-0160): stores a message for an account with no available resource, durably, before the
/// sender's stanza counts as handled; hands them over with a delay stamp (XEP-0203) at the next initial presence.
/// </summary>
public sealed partial class OfflineStorage(IOfflineStore store, IOptions<ServerOptions> options, TimeProvider time, ILogger<OfflineStorage> logger)
{
    private readonly int _limit = options.Value.Offline.MaxMessagesPerUser;

    /// <summary>Stores a message; returns false when the account's offline queue is full.</summary>
    public Task<bool> TryStoreAsync(Stanza stanza, CancellationToken ct = default) =>
        store.TryStoreAsync(stanza.To.Bare.ToString(), new OfflineMessage(stanza.Element.ToString(), time.GetUtcNow()), _limit, ct);

    /// <summary>
    /// Delivers every stored message to a session that just sent initial presence, oldest first, and removes only
    /// those that were actually queued to it.
    /// </summary>
    public async Task DeliverAsync(IClientSession session, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var owner = session.Jid.Bare.ToString();
        var stored = await store.PeekAsync(owner, ct).ConfigureAwait(false);
        if (stored.Count == 0)
        {
            return;
        }

        var delivered = new List<long>(stored.Count);
        foreach (var m in stored)
        {
            Element message;
            try
            {
                message = StoredStanza.Parse(m.StanzaXml);
            }
            catch (FormatException e)
            {
                // Unreadable rows would block the queue forever; they are logged and removed.
                Log.CorruptMessage(logger, e, m.Id, owner);
                delivered.Add(m.Id);
                continue;
            }

            message.RemoveAll("delay", Ns.Delay);
            message.AddChild("delay", Ns.Delay)
                .SetAttribute("from", session.Jid.Domain)
                .SetAttribute("stamp", m.Stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
                .AddText("Offline storage");
            if (!session.Send(message))
            {
                break;
            }

            delivered.Add(m.Id);
        }

        if (delivered.Count > 0)
        {
            await store.RemoveAsync(owner, delivered, ct).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Offline message {Id} of {Owner} is not well-formed and was removed")]
        public static partial void CorruptMessage(ILogger logger, Exception e, long id, string owner);

        // Next free EventId: 301
    }
}
