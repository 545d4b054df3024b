using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Server.Im;

/// <summary>
/// Offline messages (XEP-0160): stores a message for an account with no available resource, durably, before the
/// sender's stanza counts as handled; hands them over with a delay stamp (XEP-0203) at the next initial presence,
/// unless a resource of the account chose flexible offline retrieval (XEP-0013, see <see cref="IClientSession.FlexibleOffline"/>).
/// </summary>
public sealed partial class OfflineStorage(IOfflineStore store, IOptions<ServerOptions> options, TimeProvider time, ILogger<OfflineStorage> logger)
{
    private readonly int _limit = options.Value.Offline.MaxMessagesPerUser;

    /// <summary>Stores a message; returns false when the account's offline queue is full.</summary>
    public Task<bool> TryStoreAsync(Stanza stanza, CancellationToken ct = default) =>
        store.TryStoreAsync(stanza.To.Bare.ToString(), new OfflineMessage(stanza.Element.ToString(), time.GetUtcNow()), _limit, ct);

    /// <summary>
    /// Delivers every stored message to a session that just sent initial presence, oldest first, and removes only
    /// those that were actually queued to it. The messages are taken under the account's store lock, so that two
    /// resources coming online at once, on one node or on two, never both get the same message.
    /// </summary>
    public async Task DeliverAsync(IClientSession session, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var owner = session.Jid.Bare.ToString();
        await store.TakeAsync(
            owner,
            m =>
            {
                // Unreadable rows would block the queue forever; Restore logs them, and they are taken (removed).
                return Restore(m, session.Jid.Bare) is not { } message || session.Send(message);
            },
            ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The stored stanza of <paramref name="stored"/> with a delay stamp (XEP-0203) from the owner's server, ready to
    /// send to one of <paramref name="owner"/>'s resources; null (and logged) when the stored text is not well-formed.
    /// </summary>
    public Element? Restore(StoredOfflineMessage stored, Jid owner)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(owner);
        Element message;
        try
        {
            message = StoredStanza.Parse(stored.StanzaXml);
        }
        catch (FormatException e)
        {
            Log.CorruptMessage(logger, e, stored.Id, owner.ToString());
            return null;
        }

        message.RemoveAll("delay", Ns.Delay);
        message.AddChild("delay", Ns.Delay)
            .SetAttribute("from", owner.Domain)
            .SetAttribute("stamp", stored.Stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .AddText("Offline storage");
        return message;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Offline message {Id} of {Owner} is not well-formed and cannot be delivered")]
        public static partial void CorruptMessage(ILogger logger, Exception e, long id, string owner);

        // Next free EventId: 301
    }
}
