using System.Text;
using Dapper;
using Npgsql;
// Dapper maps value tuples by column position.
using MessageRow = (string Id, string WithJid, string? WithResource, System.DateTime Stamp, short Direction, string Stanza);

namespace Rookery.Storage.Postgres;

/// <summary>Message archives in <c>mam_messages</c>, preferences in <c>mam_prefs</c> and <c>mam_prefs_jids</c>.</summary>
/// <remarks>
/// Archive ids compare in the "C" collation, byte order, as the SQLite backend's BINARY collation does: the archive's
/// order is the same on both backends.
/// </remarks>
internal sealed class PostgresMessageArchiveStore(PostgresDatabase db) : IMessageArchiveStore
{
    // Rows removed per statement when pruning, so that retention never holds many row locks or a long transaction.
    private const int PruneBatchSize = 1000;

    public Task<bool> AppendAsync(string owner, ArchivedMessage message, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.Id, nameof(message));
        ArgumentException.ThrowIfNullOrEmpty(message.With, nameof(message));
        ArgumentNullException.ThrowIfNull(message.StanzaXml, nameof(message));
        // Under the owner's lock so that an append racing an account deletion on another node cannot outlive it.
        return db.WriteAsync(
            owner,
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO mam_messages (owner, id, with_jid, with_resource, stamp, direction, stanza)
                VALUES (@Owner, @Id, @With, @WithResource, @Stamp, @Direction, @Stanza)
                ON CONFLICT (owner, id) DO NOTHING
                """,
                new
                {
                    Owner = owner,
                    message.Id,
                    message.With,
                    message.WithResource,
                    Stamp = PostgresTime.ToColumn(message.Stamp),
                    Direction = (short)message.Direction,
                    Stanza = message.StanzaXml,
                },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<IReadOnlyList<bool>> AppendManyAsync(IReadOnlyList<ArchiveAppend> entries, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var count = entries.Count;
        var owners = new string[count];
        var ids = new string[count];
        var withs = new string[count];
        var resources = new string?[count];
        var stamps = new DateTimeOffset[count];
        var directions = new short[count];
        var stanzas = new string[count];
        for (var i = 0; i < count; i++)
        {
            var (owner, message) = entries[i];
            ArgumentException.ThrowIfNullOrEmpty(owner, nameof(entries));
            ArgumentNullException.ThrowIfNull(message, nameof(entries));
            ArgumentException.ThrowIfNullOrEmpty(message.Id, nameof(entries));
            ArgumentException.ThrowIfNullOrEmpty(message.With, nameof(entries));
            ArgumentNullException.ThrowIfNull(message.StanzaXml, nameof(entries));
            owners[i] = owner;
            ids[i] = message.Id;
            withs[i] = message.With;
            resources[i] = message.WithResource;
            stamps[i] = PostgresTime.ToColumn(message.Stamp);
            directions[i] = (short)message.Direction;
            stanzas[i] = message.StanzaXml;
        }

        if (count == 0)
        {
            return Task.FromResult<IReadOnlyList<bool>>([]);
        }

        return db.WriteAsync<IReadOnlyList<bool>>(
            async (connection, transaction) =>
            {
                // One round trip: both statements go out as one batch. First every owner's lock, as the single append
                // takes it (an append racing an account deletion on another node cannot outlive it), in lock-key order
                // so that two nodes' batches never wait on each other in a cycle; then one INSERT over arrays, whatever
                // the batch size. ON CONFLICT DO NOTHING also skips a later duplicate within the batch; RETURNING names
                // the rows that went in, by their position (WITH ORDINALITY).
                await using var batch = new NpgsqlBatch(connection, transaction);
                var locks = new NpgsqlBatchCommand(
                    """
                    SELECT pg_advisory_xact_lock(hashtext($1), h)
                    FROM (SELECT DISTINCT hashtext(o) AS h FROM unnest($2::text[]) AS o ORDER BY h) AS keys
                    """);
                locks.Parameters.Add(new NpgsqlParameter { Value = db.OwnerLockClass });
                locks.Parameters.Add(new NpgsqlParameter { Value = owners });
                batch.BatchCommands.Add(locks);
                var insert = new NpgsqlBatchCommand(
                    """
                    INSERT INTO mam_messages (owner, id, with_jid, with_resource, stamp, direction, stanza)
                    SELECT owner, id, with_jid, with_resource, stamp, direction, stanza
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::smallint[], $7::text[])
                         WITH ORDINALITY AS e (owner, id, with_jid, with_resource, stamp, direction, stanza, n)
                    ORDER BY n
                    ON CONFLICT (owner, id) DO NOTHING
                    RETURNING owner, id
                    """);
                insert.Parameters.Add(new NpgsqlParameter { Value = owners });
                insert.Parameters.Add(new NpgsqlParameter { Value = ids });
                insert.Parameters.Add(new NpgsqlParameter { Value = withs });
                insert.Parameters.Add(new NpgsqlParameter { Value = resources });
                insert.Parameters.Add(new NpgsqlParameter { Value = stamps });
                insert.Parameters.Add(new NpgsqlParameter { Value = directions });
                insert.Parameters.Add(new NpgsqlParameter { Value = stanzas });
                batch.BatchCommands.Add(insert);

                var inserted = new HashSet<(string Owner, string Id)>();
                await using (var reader = await batch.ExecuteReaderAsync(ct))
                {
                    // The lock statement's rows come first; skip them.
                    await reader.NextResultAsync(ct);
                    while (await reader.ReadAsync(ct))
                    {
                        inserted.Add((reader.GetString(0), reader.GetString(1)));
                    }
                }

                // Of several entries with one key, only the first went in (rows are inserted in the batch's order).
                var stored = new bool[count];
                for (var i = 0; i < count; i++)
                {
                    stored[i] = inserted.Remove((owners[i], ids[i]));
                }

                return stored;
            },
            ct);
    }

    public Task<ArchivePage?> QueryAsync(string owner, ArchiveQuery query, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Max);
        if (query.Ids is { Count: > ArchiveQuery.MaxIds })
        {
            // The same limit as the SQLite backend, which is bound by its host-parameter count.
            throw new ArgumentException($"At most {ArchiveQuery.MaxIds} ids can be asked for at once.", nameof(query));
        }

        // REPEATABLE READ: the id check, the page, the count and the index all read one snapshot.
        return db.ReadAsync(
            async (connection, transaction) =>
            {
                if (!await AllExistAsync(connection, transaction, owner, query, ct))
                {
                    return null;
                }

                var parameters = new DynamicParameters();
                parameters.Add("Owner", owner);
                var filter = Filter(query, parameters);

                // One row more than the page tells whether the result set goes on beyond it.
                var page = new StringBuilder(filter);
                if (query.Backwards)
                {
                    if (query.PageBefore is not null)
                    {
                        page.Append(" AND id < @PageBefore");
                        parameters.Add("PageBefore", query.PageBefore);
                    }

                    page.Append(" ORDER BY id DESC");
                }
                else
                {
                    if (query.PageAfter is not null)
                    {
                        page.Append(" AND id > @PageAfter");
                        parameters.Add("PageAfter", query.PageAfter);
                    }

                    page.Append(" ORDER BY id");
                }

                page.Append(" LIMIT @Limit");
                parameters.Add("Limit", query.Max + 1);
                var rows = (await connection.QueryAsync<MessageRow>(new CommandDefinition(
                    "SELECT id, with_jid, with_resource, stamp, direction, stanza FROM mam_messages WHERE " + page,
                    parameters,
                    transaction,
                    cancellationToken: ct))).AsList();
                var complete = rows.Count <= query.Max;
                if (!complete)
                {
                    rows.RemoveAt(rows.Count - 1);
                }

                if (query.Backwards)
                {
                    rows.Reverse();
                }

                var items = new List<ArchivedMessage>(rows.Count);
                foreach (var row in rows)
                {
                    items.Add(new ArchivedMessage(
                        row.Id, row.WithJid, row.WithResource, PostgresTime.FromColumn(row.Stamp), (ArchiveDirection)row.Direction, row.Stanza));
                }

                var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                    "SELECT COUNT(*)::integer FROM mam_messages WHERE " + filter, parameters, transaction, cancellationToken: ct));
                var index = 0;
                if (items.Count > 0)
                {
                    parameters.Add("First", items[0].Id);
                    index = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                        "SELECT COUNT(*)::integer FROM mam_messages WHERE " + filter + " AND id < @First", parameters, transaction, cancellationToken: ct));
                }
                else if (!query.Backwards && query.PageAfter is not null)
                {
                    // An empty page past the end: it would start after everything.
                    index = count;
                }

                return new ArchivePage(items, complete, count, index);
            },
            ct);
    }

    public Task<bool> ReplaceAsync(string owner, string id, string stanzaXml, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(stanzaXml);
        // Under the owner's lock, as appends are: one row, so two nodes replacing it at once simply apply one after the other.
        return db.WriteAsync(
            owner,
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE mam_messages SET stanza = @Stanza WHERE owner = @Owner AND id = @Id",
                new { Owner = owner, Id = id, Stanza = stanzaXml },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public async Task<int> DeleteAllAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mam_messages WHERE owner = @Owner", new { Owner = owner }, cancellationToken: ct));
    }

    public async Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken ct = default)
    {
        var cutoff = PostgresTime.ToColumn(olderThan);
        var total = 0;
        await using var connection = await db.OpenAsync(ct);
        while (true)
        {
            // Each statement commits on its own. Nodes pruning at the same time just find less to delete.
            var removed = await connection.ExecuteAsync(new CommandDefinition(
                """
                DELETE FROM mam_messages m
                USING (SELECT owner, id FROM mam_messages WHERE stamp < @Cutoff LIMIT @Batch) old
                WHERE m.owner = old.owner AND m.id = old.id
                """,
                new { Cutoff = cutoff, Batch = PruneBatchSize },
                cancellationToken: ct));
            total += removed;
            if (removed < PruneBatchSize)
            {
                return total;
            }
        }
    }

    public async Task<ArchivePreferences?> GetPreferencesAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        // One statement, so that a concurrent update is seen whole or not at all; no row means no preferences set.
        var rows = (await connection.QueryAsync<(short Mode, string? Jid, bool? Always)>(new CommandDefinition(
            """
            SELECT p.default_mode, j.jid, j.always FROM mam_prefs p
            LEFT JOIN mam_prefs_jids j ON j.owner = p.owner
            WHERE p.owner = @Owner
            """,
            new { Owner = owner },
            cancellationToken: ct))).AsList();
        if (rows.Count == 0)
        {
            return null;
        }

        var always = new List<string>();
        var never = new List<string>();
        foreach (var row in rows)
        {
            if (row.Jid is not null)
            {
                (row.Always == true ? always : never).Add(row.Jid);
            }
        }

        always.Sort(StringComparer.Ordinal);
        never.Sort(StringComparer.Ordinal);
        return new ArchivePreferences((ArchiveDefault)rows[0].Mode, always, never);
    }

    public Task SetPreferencesAsync(string owner, ArchivePreferences preferences, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(preferences);
        ArgumentNullException.ThrowIfNull(preferences.Always, nameof(preferences));
        ArgumentNullException.ThrowIfNull(preferences.Never, nameof(preferences));
        if (!Enum.IsDefined(preferences.Default))
        {
            throw new ArgumentOutOfRangeException(nameof(preferences), preferences.Default, "Unknown archiving default.");
        }

        var rules = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var jid in preferences.Always)
        {
            rules[jid] = true;
        }

        // Never wins over always: keeping a message out of the archive is the safer mistake.
        foreach (var jid in preferences.Never)
        {
            rules[jid] = false;
        }

        var jids = rules.Keys.ToArray();
        var flags = rules.Values.ToArray();
        // Under the owner's lock: two nodes replacing the lists at once must not interleave their delete and inserts.
        return db.WriteAsync(
            owner,
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO mam_prefs (owner, default_mode) VALUES (@Owner, @Mode)
                ON CONFLICT (owner) DO UPDATE SET default_mode = excluded.default_mode;
                DELETE FROM mam_prefs_jids WHERE owner = @Owner;
                INSERT INTO mam_prefs_jids (owner, jid, always) SELECT @Owner, r.jid, r.always FROM unnest(@Jids, @Flags) AS r (jid, always);
                """,
                new { Owner = owner, Mode = (short)preferences.Default, Jids = jids, Flags = flags },
                transaction,
                cancellationToken: ct)),
            ct);
    }

    /// <summary>The WHERE clause of the result set (without paging), adding its parameters.</summary>
    private static string Filter(ArchiveQuery query, DynamicParameters parameters)
    {
        var sql = new StringBuilder("owner = @Owner");
        if (query.With is not null)
        {
            sql.Append(" AND with_jid = @With");
            parameters.Add("With", query.With);
            if (query.WithResource is not null)
            {
                sql.Append(" AND with_resource = @WithResource");
                parameters.Add("WithResource", query.WithResource);
            }
        }

        // Bounds truncated to the millisecond like the stored stamps, so that a bound selects exactly what it selects on
        // SQLite, which compares whole milliseconds.
        if (query.Start is { } start)
        {
            sql.Append(" AND stamp >= @Start");
            parameters.Add("Start", PostgresTime.ToColumn(start));
        }

        if (query.End is { } end)
        {
            sql.Append(" AND stamp <= @End");
            parameters.Add("End", PostgresTime.ToColumn(end));
        }

        if (query.AfterId is not null)
        {
            sql.Append(" AND id > @AfterId");
            parameters.Add("AfterId", query.AfterId);
        }

        if (query.BeforeId is not null)
        {
            sql.Append(" AND id < @BeforeId");
            parameters.Add("BeforeId", query.BeforeId);
        }

        if (query.Ids is not null)
        {
            // One text[] parameter (Dapper passes arrays to Npgsql whole).
            sql.Append(" AND id = ANY(@Ids)");
            parameters.Add("Ids", query.Ids.ToArray());
        }

        return sql.ToString();
    }

    /// <summary>Whether every id the query names is in the owner's archive (XEP-0313 §4.1.3, §4.3.2: else item-not-found).</summary>
    private static async Task<bool> AllExistAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string owner, ArchiveQuery query, CancellationToken ct)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in new[] { query.AfterId, query.BeforeId, query.PageAfter, query.Backwards ? query.PageBefore : null })
        {
            if (id is not null)
            {
                named.Add(id);
            }
        }

        if (query.Ids is not null)
        {
            named.UnionWith(query.Ids);
        }

        if (named.Count == 0)
        {
            return true;
        }

        var found = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*)::integer FROM mam_messages WHERE owner = @Owner AND id = ANY(@Ids)",
            new { Owner = owner, Ids = named.ToArray() },
            transaction,
            cancellationToken: ct));
        return found == named.Count;
    }
}
