using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Rookery.Storage.Sqlite;

/// <summary>Message archives in <c>mam_messages</c>, preferences in <c>mam_prefs</c> and <c>mam_prefs_jids</c>.</summary>
internal sealed class SqliteMessageArchiveStore(SqliteDatabase db) : IMessageArchiveStore
{
    // Rows removed per transaction when pruning, so that retention never holds the write lock for long.
    private const int PruneBatchSize = 1000;

    public Task<bool> AppendAsync(string owner, ArchivedMessage message, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.Id, nameof(message));
        ArgumentException.ThrowIfNullOrEmpty(message.With, nameof(message));
        ArgumentNullException.ThrowIfNull(message.StanzaXml, nameof(message));
        return db.WriteAsync(
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
                    Stamp = message.Stamp.ToUnixTimeMilliseconds(),
                    Direction = (int)message.Direction,
                    Stanza = message.StanzaXml,
                },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<IReadOnlyList<bool>> AppendManyAsync(IReadOnlyList<ArchiveAppend> entries, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            ArgumentException.ThrowIfNullOrEmpty(entry.Owner, nameof(entries));
            ArgumentNullException.ThrowIfNull(entry.Message, nameof(entries));
            ArgumentException.ThrowIfNullOrEmpty(entry.Message.Id, nameof(entries));
            ArgumentException.ThrowIfNullOrEmpty(entry.Message.With, nameof(entries));
            ArgumentNullException.ThrowIfNull(entry.Message.StanzaXml, nameof(entries));
        }

        if (entries.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<bool>>([]);
        }

        // One BEGIN IMMEDIATE ... COMMIT for the whole batch, so one fsync under synchronous=FULL; the insert is prepared
        // once and only its parameter values change from row to row.
        return db.WriteAsync<IReadOnlyList<bool>>(
            async (connection, transaction) =>
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText =
                    """
                    INSERT INTO mam_messages (owner, id, with_jid, with_resource, stamp, direction, stanza)
                    VALUES ($owner, $id, $with, $resource, $stamp, $direction, $stanza)
                    ON CONFLICT (owner, id) DO NOTHING
                    """;
                var owner = command.Parameters.Add("$owner", SqliteType.Text);
                var id = command.Parameters.Add("$id", SqliteType.Text);
                var with = command.Parameters.Add("$with", SqliteType.Text);
                var resource = command.Parameters.Add("$resource", SqliteType.Text);
                var stamp = command.Parameters.Add("$stamp", SqliteType.Integer);
                var direction = command.Parameters.Add("$direction", SqliteType.Integer);
                var stanza = command.Parameters.Add("$stanza", SqliteType.Text);
                await command.PrepareAsync(ct);
                var stored = new bool[entries.Count];
                for (var i = 0; i < entries.Count; i++)
                {
                    var (entryOwner, message) = entries[i];
                    owner.Value = entryOwner;
                    id.Value = message.Id;
                    with.Value = message.With;
                    resource.Value = (object?)message.WithResource ?? DBNull.Value;
                    stamp.Value = message.Stamp.ToUnixTimeMilliseconds();
                    direction.Value = (int)message.Direction;
                    stanza.Value = message.StanzaXml;
                    stored[i] = await command.ExecuteNonQueryAsync(ct) > 0;
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
            // Keeps the statement below SQLite's host-parameter limit.
            throw new ArgumentException($"At most {ArchiveQuery.MaxIds} ids can be asked for at once.", nameof(query));
        }

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
                var rows = (await connection.QueryAsync<(string Id, string WithJid, string? WithResource, long Stamp, long Direction, string Stanza)>(new CommandDefinition(
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
                        row.Id, row.WithJid, row.WithResource, DateTimeOffset.FromUnixTimeMilliseconds(row.Stamp), (ArchiveDirection)row.Direction, row.Stanza));
                }

                var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                    "SELECT COUNT(*) FROM mam_messages WHERE " + filter, parameters, transaction, cancellationToken: ct));
                var index = 0;
                if (items.Count > 0)
                {
                    parameters.Add("First", items[0].Id);
                    index = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                        "SELECT COUNT(*) FROM mam_messages WHERE " + filter + " AND id < @First", parameters, transaction, cancellationToken: ct));
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
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE mam_messages SET stanza = @Stanza WHERE owner = @Owner AND id = @Id",
                new { Owner = owner, Id = id, Stanza = stanzaXml },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<int> DeleteAllAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return db.WriteAsync(
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM mam_messages WHERE owner = @Owner", new { Owner = owner }, transaction, cancellationToken: ct)),
            ct);
    }

    public async Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken ct = default)
    {
        var cutoff = olderThan.ToUnixTimeMilliseconds();
        var total = 0;
        while (true)
        {
            var removed = await db.WriteAsync(
                (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM mam_messages WHERE rowid IN (SELECT rowid FROM mam_messages WHERE stamp < @Cutoff LIMIT @Batch)",
                    new { Cutoff = cutoff, Batch = PruneBatchSize },
                    transaction,
                    cancellationToken: ct)),
                ct);
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
        var rows = (await connection.QueryAsync<(long Mode, string? Jid, long? Always)>(new CommandDefinition(
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
                (row.Always == 1 ? always : never).Add(row.Jid);
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

        return db.WriteAsync(
            async (connection, transaction) =>
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO mam_prefs (owner, default_mode) VALUES (@Owner, @Mode)
                    ON CONFLICT (owner) DO UPDATE SET default_mode = excluded.default_mode;
                    DELETE FROM mam_prefs_jids WHERE owner = @Owner;
                    """,
                    new { Owner = owner, Mode = (int)preferences.Default },
                    transaction,
                    cancellationToken: ct));
                foreach (var (jid, always) in rules)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO mam_prefs_jids (owner, jid, always) VALUES (@Owner, @Jid, @Always)",
                        new { Owner = owner, Jid = jid, Always = always ? 1 : 0 },
                        transaction,
                        cancellationToken: ct));
                }

                return rules.Count;
            },
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

        if (query.Start is { } start)
        {
            sql.Append(" AND stamp >= @Start");
            parameters.Add("Start", start.ToUnixTimeMilliseconds());
        }

        if (query.End is { } end)
        {
            sql.Append(" AND stamp <= @End");
            parameters.Add("End", end.ToUnixTimeMilliseconds());
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
            sql.Append(" AND id IN @Ids");
            parameters.Add("Ids", query.Ids.ToArray());
        }

        return sql.ToString();
    }

    /// <summary>Whether every id the query names is in the owner's archive (XEP-0313 §4.1.3, §4.3.2: else item-not-found).</summary>
    private static async Task<bool> AllExistAsync(SqliteConnection connection, SqliteTransaction transaction, string owner, ArchiveQuery query, CancellationToken ct)
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
            "SELECT COUNT(*) FROM mam_messages WHERE owner = @Owner AND id IN @Ids",
            new { Owner = owner, Ids = named.ToArray() },
            transaction,
            cancellationToken: ct));
        return found == named.Count;
    }
}
