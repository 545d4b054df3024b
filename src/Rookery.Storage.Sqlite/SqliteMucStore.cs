using Dapper;

namespace Rookery.Storage.Sqlite;

/// <summary>Persistent MUC rooms (XEP-0045) in the <c>muc_rooms</c> and <c>muc_affiliations</c> tables.</summary>
internal sealed class SqliteMucStore(SqliteDatabase db) : IMucStore
{
    public async Task<IReadOnlyList<string>> ListRoomsAsync(string service, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        await using var connection = await db.OpenAsync(ct);
        var rooms = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT room FROM muc_rooms WHERE service = @Service", new { Service = service }, cancellationToken: ct))).AsList();
        rooms.Sort(StringComparer.Ordinal);
        return rooms;
    }

    public async Task<StoredMucRoom?> GetRoomAsync(string room, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        await using var connection = await db.OpenAsync(ct);
        // One read transaction: the room and its affiliations from the same snapshot.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var row = await connection.QuerySingleOrDefaultAsync<RoomRow>(new CommandDefinition(
            "SELECT config AS Config, subject AS Subject, subject_nick AS SubjectNick FROM muc_rooms WHERE room = @Room",
            new { Room = room }, transaction, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        var affiliations = (await connection.QueryAsync<MucAffiliationRecord>(new CommandDefinition(
            "SELECT jid AS Jid, affiliation AS Affiliation, reason AS Reason, nick AS Nick FROM muc_affiliations WHERE room = @Room",
            new { Room = room }, transaction, cancellationToken: ct))).AsList();
        affiliations.Sort((a, b) => string.CompareOrdinal(a.Jid, b.Jid));
        return new StoredMucRoom(room, row.Config, row.Subject, row.SubjectNick, affiliations);
    }

    public Task SaveRoomAsync(StoredMucRoom room, CancellationToken ct = default)
    {
        Validate(room);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO muc_rooms (room, service, config, subject, subject_nick) VALUES (@Room, @Service, @Config, @Subject, @SubjectNick)
                    ON CONFLICT (room) DO UPDATE SET config = excluded.config, subject = excluded.subject, subject_nick = excluded.subject_nick
                    """,
                    new { room.Room, Service = ServiceOf(room.Room), room.Config, room.Subject, room.SubjectNick },
                    transaction,
                    cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM muc_affiliations WHERE room = @Room", new { room.Room }, transaction, cancellationToken: ct));
                foreach (var a in room.Affiliations)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO muc_affiliations (room, jid, affiliation, reason, nick) VALUES (@Room, @Jid, @Affiliation, @Reason, @Nick)",
                        new { room.Room, a.Jid, a.Affiliation, a.Reason, a.Nick },
                        transaction,
                        cancellationToken: ct));
                }

                return 0;
            },
            ct);
    }

    public Task<bool> SetSubjectAsync(string room, string? subject, string? subjectNick, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE muc_rooms SET subject = @Subject, subject_nick = @SubjectNick WHERE room = @Room",
                new { Room = room, Subject = subject, SubjectNick = subjectNick },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<bool> SetAffiliationAsync(string room, MucAffiliationRecord affiliation, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ValidateAffiliation(affiliation);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM muc_rooms WHERE room = @Room", new { Room = room }, transaction, cancellationToken: ct));
                if (exists == 0)
                {
                    return false;
                }

                if (affiliation.Affiliation == "none" && affiliation.Nick is null)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "DELETE FROM muc_affiliations WHERE room = @Room AND jid = @Jid", new { Room = room, affiliation.Jid }, transaction, cancellationToken: ct));
                }
                else
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO muc_affiliations (room, jid, affiliation, reason, nick) VALUES (@Room, @Jid, @Affiliation, @Reason, @Nick)
                        ON CONFLICT (room, jid) DO UPDATE SET affiliation = excluded.affiliation, reason = excluded.reason, nick = excluded.nick
                        """,
                        new { Room = room, affiliation.Jid, affiliation.Affiliation, affiliation.Reason, affiliation.Nick },
                        transaction,
                        cancellationToken: ct));
                }

                return true;
            },
            ct);
    }

    public Task<bool> DeleteRoomAsync(string room, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM muc_affiliations WHERE room = @Room", new { Room = room }, transaction, cancellationToken: ct));
                return await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM muc_rooms WHERE room = @Room", new { Room = room }, transaction, cancellationToken: ct)) > 0;
            },
            ct);
    }

    /// <summary>The service domain of a room JID: what follows the '@'.</summary>
    internal static string ServiceOf(string room)
    {
        var at = room.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? throw new ArgumentException($"'{room}' is not a room JID", nameof(room)) : room[(at + 1)..];
    }

    internal static void Validate(StoredMucRoom room)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentException.ThrowIfNullOrEmpty(room.Room);
        ArgumentNullException.ThrowIfNull(room.Config);
        ServiceOf(room.Room);
        foreach (var a in room.Affiliations)
        {
            ValidateAffiliation(a);
        }
    }

    internal static void ValidateAffiliation(MucAffiliationRecord affiliation)
    {
        ArgumentNullException.ThrowIfNull(affiliation);
        ArgumentException.ThrowIfNullOrEmpty(affiliation.Jid);
        if (affiliation.Affiliation is not ("owner" or "admin" or "member" or "outcast" or "none"))
        {
            throw new ArgumentException($"'{affiliation.Affiliation}' is not an affiliation", nameof(affiliation));
        }
    }

    private sealed record RoomRow(string Config, string? Subject, string? SubjectNick);
}
