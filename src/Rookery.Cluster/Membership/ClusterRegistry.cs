using Npgsql;

namespace Rookery.Cluster.Membership;

/// <summary>
/// The node registry in PostgreSQL (<c>cluster_nodes</c>, migration 0010): registration under the node's advisory lock,
/// heartbeats, state changes, the one conditional update that declares a peer dead, the lock probe, and
/// <c>NOTIFY</c> announcements. Used by a running node and by <c>rookery cluster status|drain</c>.
/// </summary>
public sealed class ClusterRegistry : IAsyncDisposable
{
    /// <summary>The <c>LISTEN</c>/<c>NOTIFY</c> channel; payloads start with the schema, so schemas sharing a database stay apart.</summary>
    public const string Channel = "rookery_cluster";

    private const string Columns = """
        node_id, name, host, cluster_port, client_port, version, protocol_version, started_at, heartbeat_at, state,
        sessions, links, declared_by, extract(epoch FROM now() - heartbeat_at)::float8
        """;

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates a registry on the tables of <paramref name="schema"/> in the database of <paramref name="connectionString"/>.</summary>
    public ClusterRegistry(string connectionString, string schema)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(schema);
        Schema = schema;
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema };
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "rookery-cluster";
        }

        ConnectionString = builder.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
        LockClass = "rookery.node:" + schema;
    }

    /// <summary>The schema of the registry.</summary>
    public string Schema { get; }

    /// <summary>The connection string (with the schema as search path), for the node's own heartbeat and listen connections.</summary>
    internal string ConnectionString { get; }

    /// <summary>The first key of every node's advisory lock; the second is the node id.</summary>
    internal string LockClass { get; }

    /// <summary>
    /// Registers a node on <paramref name="lockConnection"/> (a dedicated connection that stays open, then the heartbeat
    /// thread's): the row is inserted and the node's session-level advisory lock taken in one transaction, so no peer
    /// ever sees the row without the lock and mistakes the newcomer for a dead node.
    /// </summary>
    internal async Task<long> RegisterAsync(NpgsqlConnection lockConnection, NodeRecord node, CancellationToken ct)
    {
        await using var transaction = await lockConnection.BeginTransactionAsync(ct).ConfigureAwait(false);
        long id;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO cluster_nodes (name, host, cluster_port, client_port, version, protocol_version, started_at, heartbeat_at, state)
            VALUES (@name, @host, @cport, @client, @version, @protocol, now(), now(), 'joining')
            RETURNING node_id
            """, lockConnection, transaction))
        {
            insert.Parameters.AddWithValue("name", node.Name);
            insert.Parameters.AddWithValue("host", node.Host);
            insert.Parameters.AddWithValue("cport", node.ClusterPort);
            insert.Parameters.AddWithValue("client", node.ClientPort);
            insert.Parameters.AddWithValue("version", node.Version);
            insert.Parameters.AddWithValue("protocol", node.ProtocolVersion);
            id = (long)(await insert.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }

        await LockAsync(lockConnection, transaction, id, ct).ConfigureAwait(false);
        // Sent on commit: the peers hear of the newcomer exactly when its row and lock exist, and a node registered is a
        // node announced (nothing after the commit can fail and leave a registered node to register again).
        await NotifyAsync(lockConnection, "join:" + id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>Takes the node's session-level advisory lock on <paramref name="connection"/> (kept after the transaction).</summary>
    private async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long nodeId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext(@class), @id::integer)", connection, transaction);
        command.Parameters.AddWithValue("class", LockClass);
        command.Parameters.AddWithValue("id", nodeId);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// True when nobody holds the node's lock: its database session is gone, so the node is dead whatever its last
    /// heartbeat says. The probe takes the lock and releases it at once.
    /// </summary>
    internal async Task<bool> IsLockFreeAsync(long nodeId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT CASE WHEN pg_try_advisory_lock(hashtext(@class), @id::integer) THEN pg_advisory_unlock(hashtext(@class), @id::integer) ELSE false END",
            connection);
        command.Parameters.AddWithValue("class", LockClass);
        command.Parameters.AddWithValue("id", nodeId);
        return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Takes the node's lock on <paramref name="connection"/> if nobody holds it; synchronous, for the heartbeat thread
    /// (<see cref="HeartbeatThread"/>), which must not depend on the thread pool.
    /// </summary>
    internal bool TryLock(NpgsqlConnection connection, long nodeId)
    {
        using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext(@class), @id::integer)", connection);
        command.Parameters.AddWithValue("class", LockClass);
        command.Parameters.AddWithValue("id", nodeId);
        return (bool)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Records a heartbeat with the node's session count and link summary on <paramref name="connection"/>; returns the
    /// node's state, or null when its row is no longer live. Synchronous, for the heartbeat thread.
    /// </summary>
    internal static string? Heartbeat(NpgsqlConnection connection, long nodeId, int sessions, string links)
    {
        using var command = new NpgsqlCommand("""
            UPDATE cluster_nodes SET heartbeat_at = now(), sessions = @sessions, links = @links
            WHERE node_id = @id AND state IN ('joining', 'alive', 'draining')
            RETURNING state
            """, connection);
        command.Parameters.AddWithValue("id", nodeId);
        command.Parameters.AddWithValue("sessions", sessions);
        command.Parameters.AddWithValue("links", links);
        return (string?)command.ExecuteScalar();
    }

    /// <summary>Moves a node from one of <paramref name="from"/> to <paramref name="to"/>; false when it was in none of them.</summary>
    public async Task<bool> SetStateAsync(long nodeId, string[] from, string to, CancellationToken ct = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "UPDATE cluster_nodes SET state = @to WHERE node_id = @id AND state = ANY(@from) RETURNING 1", connection);
        command.Parameters.AddWithValue("id", nodeId);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        var changed = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
        if (changed)
        {
            await NotifyAsync(connection, to + ":" + nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        }

        return changed;
    }

    /// <summary>
    /// Declares a peer dead with one conditional update, so that of all the survivors who suspect it exactly one wins
    /// (and then purges what the peer owned); returns whether this call won.
    /// </summary>
    internal async Task<bool> DeclareDeadAsync(long nodeId, long declaredBy, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE cluster_nodes SET state = 'dead', declared_by = @by, sessions = 0, links = ''
            WHERE node_id = @id AND state IN ('joining', 'alive', 'draining')
            RETURNING 1
            """, connection);
        command.Parameters.AddWithValue("id", nodeId);
        command.Parameters.AddWithValue("by", declaredBy);
        var won = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
        if (won)
        {
            await NotifyAsync(connection, "dead:" + nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        }

        return won;
    }

    /// <summary>Announces a change to every node listening on this schema.</summary>
    internal async Task NotifyAsync(string payload, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await NotifyAsync(connection, payload, ct).ConfigureAwait(false);
    }

    private async Task NotifyAsync(NpgsqlConnection connection, string payload, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
        command.Parameters.AddWithValue("channel", Channel);
        command.Parameters.AddWithValue("payload", Schema + "|" + payload);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The registry: every live node, plus nodes that died or left within <paramref name="goneWithin"/> (for status
    /// output), ordered by id.
    /// </summary>
    public async Task<IReadOnlyList<NodeRecord>> ListAsync(TimeSpan goneWithin, CancellationToken ct = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM cluster_nodes
            WHERE state IN ('joining', 'alive', 'draining') OR heartbeat_at > now() - @gone
            ORDER BY node_id
            """, connection);
        command.Parameters.AddWithValue("gone", goneWithin);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var nodes = new List<NodeRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            nodes.Add(new NodeRecord
            {
                NodeId = reader.GetInt64(0),
                Name = reader.GetString(1),
                Host = reader.GetString(2),
                ClusterPort = reader.GetInt32(3),
                ClientPort = reader.GetInt32(4),
                Version = reader.GetString(5),
                ProtocolVersion = reader.GetInt32(6),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(7),
                HeartbeatAt = reader.GetFieldValue<DateTimeOffset>(8),
                State = reader.GetString(9),
                Sessions = reader.GetInt32(10),
                Links = reader.GetString(11),
                DeclaredBy = reader.IsDBNull(12) ? null : reader.GetInt64(12),
                HeartbeatAge = TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(13))),
            });
        }

        return nodes;
    }

    /// <summary>The database's clock, for status output (heartbeat ages are measured against it).</summary>
    public async Task<DateTimeOffset> NowAsync(CancellationToken ct = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT now()", connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
