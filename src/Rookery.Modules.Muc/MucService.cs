using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Modules.Mam;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Muc;

/// <summary>
/// One MUC service (XEP-0045) on one domain, such as <c>conference.example.com</c>: it consumes the stanzas addressed
/// to the service, its rooms and their occupants through <see cref="HandleAsync"/> and emits every stanza through an
/// <see cref="IMucStanzaSink"/>, so the same service runs in process behind the route table or behind a component
/// connection. Persistent rooms live in an <see cref="IMucStore"/>, from which any node can re-create a room.
/// </summary>
public sealed partial class MucService
{
    private readonly ConcurrentDictionary<Jid, MucRoom> _rooms = new();
    private readonly Lock _createLock = new();
    private readonly Func<Jid, bool> _isAdmin;
    private readonly Func<Jid, bool> _mayCreate;
    private readonly IMucStore? _store;
    private readonly ArchiveIdGenerator _archiveIds;
    private readonly ILogger _logger;

    /// <summary>Creates the service; nothing is loaded until <see cref="LoadAsync"/>.</summary>
    /// <param name="domain">The service's domain JID.</param>
    /// <param name="options">The module's settings.</param>
    /// <param name="sink">Where emitted stanzas go.</param>
    /// <param name="store">Where persistent rooms are kept, or null for a service without persistence.</param>
    /// <param name="archive">The message archive store for logged rooms (XEP-0313), or null.</param>
    /// <param name="archiveOptions">Page sizes of archive queries.</param>
    /// <param name="isAdmin">Whether a JID administers the service (owner rights in every room).</param>
    /// <param name="mayCreate">Whether a JID may create rooms.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The service's logger.</param>
    /// <param name="archiveWriter">
    /// The node's group-commit writer over <paramref name="archive"/>: room messages share archive transactions with
    /// every other archive write (issue #6). Null writes each message in its own transaction.
    /// </param>
    public MucService(
        Jid domain,
        MucOptions options,
        IMucStanzaSink sink,
        IMucStore? store,
        IMessageArchiveStore? archive,
        MamOptions archiveOptions,
        Func<Jid, bool> isAdmin,
        Func<Jid, bool> mayCreate,
        TimeProvider time,
        ILogger logger,
        MamArchiveWriter? archiveWriter = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        Domain = domain;
        Options = options;
        Sink = sink;
        _store = store;
        Archive = archive;
        ArchiveWriter = archive is null ? null : archiveWriter;
        _isAdmin = isAdmin;
        _mayCreate = mayCreate;
        Time = time;
        _logger = logger;
        _archiveIds = new ArchiveIdGenerator(time);
        ArchiveQueries = archive is null ? null : new MamQueryHandler(archive, archiveOptions, logger);
    }

    /// <summary>The service's domain JID.</summary>
    public Jid Domain { get; }

    /// <summary>The module's settings.</summary>
    public MucOptions Options { get; }

    /// <summary>Where the service's stanzas go.</summary>
    public IMucStanzaSink Sink { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The archive of logged rooms, or null.</summary>
    internal IMessageArchiveStore? Archive { get; }

    /// <summary>The group-commit writer room messages are archived through, or null (one transaction each).</summary>
    internal MamArchiveWriter? ArchiveWriter { get; }

    /// <summary>The service's logger, which its rooms log through.</summary>
    internal ILogger Logger => _logger;

    /// <summary>The MAM module's query code, run on room archives.</summary>
    internal MamQueryHandler? ArchiveQueries { get; }

    /// <summary>How many rooms exist in memory now.</summary>
    public int RoomCount => _rooms.Count;

    /// <summary>Whether a JID administers the service.</summary>
    internal bool IsAdmin(Jid jid) => _isAdmin(jid);

    /// <summary>A new archive id (XEP-0359) for a room's message.</summary>
    internal string NextArchiveId() => _archiveIds.Next();

    /// <summary>Loads every persistent room of the service from storage (at start-up); returns how many.</summary>
    public async Task<int> LoadAsync(CancellationToken ct = default)
    {
        if (_store is null || IsClustered)
        {
            // On a cluster a room is re-created by the node that claims it (docs/dev/muc.md), not by every node at start.
            return 0;
        }

        var loaded = 0;
        foreach (var name in await _store.ListRoomsAsync(Domain.ToString(), ct))
        {
            if (Jid.TryParse(name, out var jid) && await RestoreAsync(jid, ct) is not null)
            {
                loaded++;
            }
        }

        Log.RoomsLoaded(_logger, loaded, Domain);
        return loaded;
    }

    /// <summary>
    /// Handles one stanza addressed to the service, a room or an occupant. Never throws: a failure is logged and the
    /// sender gets <c>internal-server-error</c>.
    /// </summary>
    public async ValueTask HandleAsync(Element stanza, Jid from, Jid to, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        try
        {
            if (to.Local is null)
            {
                await HandleServiceStanzaAsync(stanza, from, to);
                return;
            }

            // A room that is destroyed while the stanza waits for it is looked up again (it may be re-created).
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var room = await FindRoomAsync(to.Bare, ct);
                if (room is null)
                {
                    var available = stanza.Name == "presence" && stanza.GetAttribute("type") is null;
                    if (available && to.Resource is null)
                    {
                        // §7.2.1: entering (and so creating) needs a nick.
                        await BounceAsync(stanza, from, to, StanzaErrorCondition.JidMalformed, "Enter a room as room@service/nick");
                        return;
                    }

                    if (!available)
                    {
                        // §6.4, §7.2.x: a room that does not exist.
                        await BounceAsync(stanza, from, to, StanzaErrorCondition.ItemNotFound, "No such room");
                        return;
                    }

                    if (!_mayCreate(from))
                    {
                        await BounceAsync(stanza, from, to, StanzaErrorCondition.NotAllowed, "You may not create rooms on this service");
                        return;
                    }

                    room = CreateRoom(to.Bare);
                }

                await room.Gate.WaitAsync(ct);
                try
                {
                    if (room.Destroyed)
                    {
                        continue;
                    }

                    await room.HandleAsync(stanza, from, to, ct);
                    if (room.IsDisposable && !room.Destroyed)
                    {
                        // §10.1.3: a temporary room goes away with its last occupant.
                        RemoveRoom(room);
                        await EndRoomAsync(room, ct);
                    }
                }
                finally
                {
                    room.Gate.Release();
                }

                return;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            Log.HandleFailed(_logger, e, stanza.Name, from, to);
            await BounceAsync(stanza, from, to, StanzaErrorCondition.InternalServerError);
        }
    }

    private async ValueTask<MucRoom?> FindRoomAsync(Jid jid, CancellationToken ct)
    {
        if (_rooms.TryGetValue(jid, out var room))
        {
            return room;
        }

        if (!IsClustered)
        {
            return await RestoreAsync(jid, ct);
        }

        // On a cluster, re-creating a room also rebuilds its occupants and tells the others who left: once, so concurrent
        // stanzas for the room share one restore.
        var restore = _restoring.GetOrAdd(jid, j => RestoreAsync(j, CancellationToken.None).AsTask());
        try
        {
            return await restore.WaitAsync(ct);
        }
        finally
        {
            _restoring.TryRemove(new KeyValuePair<Jid, Task<MucRoom?>>(jid, restore));
        }
    }

    /// <summary>
    /// Re-creates a stored room (with its history from the archive, and on a cluster its occupants), or returns null.
    /// </summary>
    private async ValueTask<MucRoom?> RestoreAsync(Jid jid, CancellationToken ct)
    {
        if (_store is null)
        {
            return null;
        }

        var stored = await _store.GetRoomAsync(jid.ToString(), ct);
        if (stored is null)
        {
            return null;
        }

        var config = RoomConfigJson.Deserialize(stored.Config);
        // A room stored before its owner configured it (on a cluster, §10.1.2) comes back locked: only its owner may enter.
        var room = new MucRoom(this, jid, config, locked: RoomConfigJson.IsLocked(stored.Config));
        var affiliations = new List<(Jid, MucRoom.AffiliationEntry)>();
        foreach (var a in stored.Affiliations)
        {
            if (Jid.TryParse(a.Jid, out var user) && MucNames.TryParseAffiliation(a.Affiliation, out var affiliation))
            {
                affiliations.Add((user, new MucRoom.AffiliationEntry(affiliation, a.Reason, a.Nick)));
            }
        }

        room.Restore(affiliations, stored.Subject, stored.SubjectNick);
        // On a cluster every room's groupchat is written through to the archive, so that no history dies with a node.
        if ((config.Logging || IsClustered) && Archive is not null && Options.HistoryMessages > 0)
        {
            // The history of a re-created room comes from its archive: nothing is lost with the node that hosted it.
            var page = await Archive.QueryAsync(jid.ToString(), new ArchiveQuery { Max = Options.HistoryMessages, Backwards = true }, ct);
            foreach (var item in page?.Items ?? [])
            {
                try
                {
                    // As the live room keeps them (GroupchatAsync): messages with a body only, so neither subject changes
                    // nor XEP-0425 tombstones and retraction announcements come back as history.
                    var message = Server.Util.StoredStanza.Parse(item.StanzaXml);
                    if (message.Child("body", message.Namespace) is not null)
                    {
                        room.AddHistory(message, item.Stamp);
                    }
                }
                catch (FormatException e)
                {
                    Log.CorruptArchivedMessage(_logger, e, item.Id, jid);
                }
            }
        }

        if (IsClustered)
        {
            await RestoreOccupantsAsync(room, ct);
        }

        return _rooms.GetOrAdd(jid, room);
    }

    private MucRoom CreateRoom(Jid jid)
    {
        lock (_createLock)
        {
            if (_rooms.TryGetValue(jid, out var existing))
            {
                return existing;
            }

            var config = new RoomConfig { Persistent = Options.PersistentByDefault, Logging = Options.LoggingByDefault };
            var room = new MucRoom(this, jid, config, locked: true) { IsNew = true };
            _rooms[jid] = room;
            Log.RoomCreated(_logger, jid);
            return room;
        }
    }

    private void RemoveRoom(MucRoom room)
    {
        room.MarkDestroyed();
        _rooms.TryRemove(new KeyValuePair<Jid, MucRoom>(room.Jid, room));
        Log.RoomRemoved(_logger, room.Jid);
    }

    /// <summary>§10.9: the room is gone from memory and storage.</summary>
    internal async Task DestroyRoomAsync(MucRoom room, CancellationToken ct)
    {
        RemoveRoom(room);
        if (_store is not null)
        {
            await _store.DeleteRoomAsync(room.Jid.ToString(), ct);
        }

        await EndRoomAsync(room, ct);
    }

    /// <summary>Stores a persistent room whole: configuration, subject, affiliations.</summary>
    internal Task SaveRoomAsync(MucRoom room, CancellationToken ct)
    {
        if (_store is null)
        {
            return Task.CompletedTask;
        }

        var affiliations = room.Affiliations
            .Select(a => new MucAffiliationRecord(a.Key.ToString(), a.Value.Affiliation.ToWireName(), a.Value.Reason, a.Value.Nick))
            .OrderBy(a => a.Jid, StringComparer.Ordinal)
            .ToList();
        return _store.SaveRoomAsync(new StoredMucRoom(room.Jid.ToString(), RoomConfigJson.Serialize(room.Config, room.Locked), room.Subject, room.SubjectNick, affiliations), ct);
    }

    /// <summary>Stores the subject of a persistent room.</summary>
    internal Task SaveSubjectAsync(MucRoom room, CancellationToken ct) =>
        _store?.SetSubjectAsync(room.Jid.ToString(), room.Subject, room.SubjectNick, ct) ?? Task.CompletedTask;

    /// <summary>Stores one affiliation of a persistent room.</summary>
    internal Task SaveAffiliationAsync(MucRoom room, Jid user, MucRoom.AffiliationEntry entry, CancellationToken ct) =>
        _store?.SetAffiliationAsync(room.Jid.ToString(), new MucAffiliationRecord(user.ToString(), entry.Affiliation.ToWireName(), entry.Reason, entry.Nick), ct)
        ?? Task.CompletedTask;

    /// <summary>A room that stopped being persistent leaves storage (it lives on in memory while occupied).</summary>
    internal Task DeleteStoredRoomAsync(MucRoom room, CancellationToken ct) =>
        _store?.DeleteRoomAsync(room.Jid.ToString(), ct) ?? Task.CompletedTask;

    /// <summary>Answers a stanza for the service, a room or an occupant with an error (never an error or a result).</summary>
    internal ValueTask BounceFromServiceAsync(Element stanza, Jid from, Jid to, StanzaErrorCondition condition, string? text = null) =>
        BounceAsync(stanza, from, to, condition, text);

    private ValueTask BounceAsync(Element stanza, Jid from, Jid to, StanzaErrorCondition condition, string? text = null)
    {
        if (StanzaErrors.MustNotBounce(stanza))
        {
            return ValueTask.CompletedTask;
        }

        return Sink.SendAsync(StanzaErrors.BuildReply(stanza, condition, text), to, from);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4500, Level = LogLevel.Information, Message = "MUC service {Service}: {Count} persistent rooms loaded")]
        public static partial void RoomsLoaded(ILogger logger, int count, Jid service);

        [LoggerMessage(EventId = 4501, Level = LogLevel.Debug, Message = "Room {Room} created")]
        public static partial void RoomCreated(ILogger logger, Jid room);

        [LoggerMessage(EventId = 4502, Level = LogLevel.Debug, Message = "Room {Room} removed")]
        public static partial void RoomRemoved(ILogger logger, Jid room);

        [LoggerMessage(EventId = 4503, Level = LogLevel.Error, Message = "MUC handling of {Name} from {From} to {To} failed")]
        public static partial void HandleFailed(ILogger logger, Exception e, string name, Jid from, Jid to);

        [LoggerMessage(EventId = 4504, Level = LogLevel.Warning, Message = "Archived message {Id} of room {Room} is not well-formed and was left out of the history")]
        public static partial void CorruptArchivedMessage(ILogger logger, Exception e, string id, Jid room);

        [LoggerMessage(EventId = 4520, Level = LogLevel.Information, Message = "Room {Room} taken over from a dead node")]
        public static partial void RoomTakenOver(ILogger logger, Jid room);

        [LoggerMessage(EventId = 4521, Level = LogLevel.Error, Message = "Taking over room {Room} failed")]
        public static partial void TakeOverFailed(ILogger logger, Exception e, Jid room);

        [LoggerMessage(EventId = 4522, Level = LogLevel.Warning, Message = "The stored occupant {Nick} of room {Room} cannot be restored and was dropped")]
        public static partial void BadOccupantRecord(ILogger logger, string nick, Jid room);

        // Next free EventId: 4505 (4510-4519: MucServiceHost; 4520-4549 cluster: next 4523)
    }
}
