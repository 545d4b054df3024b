using Dapper;

namespace Rookery.Storage.Sqlite;

/// <summary>Room host claims and occupant records of clustered MUC rooms in <c>muc_room_hosts</c> and <c>muc_occupants</c>.</summary>
internal sealed class SqliteMucClusterStore(SqliteDatabase db) : IMucClusterStore
{
    public async Task<long> ClaimRoomAsync(string room, long nodeId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        while (true)
        {
            // The primary key is the compare-and-set: of two nodes inserting at once, one insert waits for the other's
            // commit and then does nothing. A separate statement (a new READ COMMITTED snapshot) reads the winner.
            var won = await db.WriteAsync(
                async (connection, transaction) => await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    "INSERT INTO muc_room_hosts (room, node_id) VALUES (@Room, @Node) ON CONFLICT (room) DO NOTHING RETURNING node_id",
                    new { Room = room, Node = nodeId }, transaction, cancellationToken: ct)),
                ct);
            if (won is { } self)
            {
                return self;
            }

            if (await FindRoomHostAsync(room, ct) is { } holder)
            {
                return holder;
            }

            // Released between the two statements: try again.
        }
    }

    public async Task<long?> FindRoomHostAsync(string room, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT node_id FROM muc_room_hosts WHERE room = @Room", new { Room = room }, cancellationToken: ct));
    }

    public Task<bool> ReleaseRoomAsync(string room, long nodeId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM muc_room_hosts WHERE room = @Room AND node_id = @Node", new { Room = room, Node = nodeId }, transaction, cancellationToken: ct)) > 0,
            ct);
    }

    public Task<IReadOnlyList<string>> TakeOverRoomsAsync(long deadNodeId, long newNodeId, CancellationToken ct = default) =>
        db.WriteAsync<IReadOnlyList<string>>(
            async (connection, transaction) =>
            {
                var rooms = (await connection.QueryAsync<string>(new CommandDefinition(
                    "UPDATE muc_room_hosts SET node_id = @New WHERE node_id = @Dead RETURNING room",
                    new { Dead = deadNodeId, New = newNodeId }, transaction, cancellationToken: ct))).AsList();
                rooms.Sort(StringComparer.Ordinal);
                return rooms;
            },
            ct);

    public Task SetOccupantAsync(MucOccupantRecord occupant, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(occupant);
        occupant.Validate();
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO muc_occupants (room, nick, real_jid, node_id, role, affiliation, presence)
                VALUES (@Room, @Nick, @RealJid, @NodeId, @Role, @Affiliation, @Presence)
                ON CONFLICT (room, nick) DO UPDATE SET real_jid = excluded.real_jid, node_id = excluded.node_id, role = excluded.role,
                    affiliation = excluded.affiliation, presence = excluded.presence
                """,
                occupant, transaction, cancellationToken: ct)),
            ct);
    }

    public Task<bool> RemoveOccupantAsync(string room, string nick, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(nick);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM muc_occupants WHERE room = @Room AND nick = @Nick", new { Room = room, Nick = nick }, transaction, cancellationToken: ct)) > 0,
            ct);
    }

    public async Task<IReadOnlyList<MucOccupantRecord>> ListOccupantsAsync(string room, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        await using var connection = await db.OpenAsync(ct);
        var rows = (await connection.QueryAsync<MucOccupantRecord>(new CommandDefinition(
            """
            SELECT room AS Room, nick AS Nick, real_jid AS RealJid, node_id AS NodeId, role AS Role, affiliation AS Affiliation, presence AS Presence
            FROM muc_occupants WHERE room = @Room
            """,
            new { Room = room }, cancellationToken: ct))).AsList();
        rows.Sort((a, b) => string.CompareOrdinal(a.Nick, b.Nick));
        return rows;
    }

    public Task<int> ClearOccupantsAsync(string room, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM muc_occupants WHERE room = @Room", new { Room = room }, transaction, cancellationToken: ct)),
            ct);
    }
}
