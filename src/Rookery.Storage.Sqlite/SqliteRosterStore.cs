using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
// Dapper maps value tuples by column position; SQLite INTEGER columns come back as long.
using ItemRow = (string Contact, string? Name, long Subscription, long PendingOut, string Groups);

namespace Rookery.Storage.Sqlite;

/// <summary>Rosters, their versions and inbound subscription requests in <c>roster_items</c>, <c>roster_versions</c> and <c>pending_in</c>.</summary>
internal sealed class SqliteRosterStore(SqliteDatabase db) : IRosterStore
{
    private const string SelectItems = "SELECT contact, name, subscription, pending_out, groups FROM roster_items WHERE owner = @Owner";

    // The upsert creates the counter at 1 for an owner never written; RETURNING hands back the value just stored.
    private const string BumpVersion = """
        INSERT INTO roster_versions (owner, version) VALUES (@Owner, 1)
        ON CONFLICT (owner) DO UPDATE SET version = roster_versions.version + 1
        RETURNING version
        """;

    public Task<Roster> GetAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return db.ReadAsync(
            async (connection, transaction) =>
            {
                // Both queries in one snapshot, so the version always matches the items.
                var version = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    "SELECT version FROM roster_versions WHERE owner = @Owner", new { Owner = owner }, transaction, cancellationToken: ct));
                var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(SelectItems, new { Owner = owner }, transaction, cancellationToken: ct));
                var items = new List<RosterItem>();
                foreach (var row in rows)
                {
                    items.Add(ToItem(row));
                }

                // BINARY collation is UTF-8 byte order; the contract is .NET ordinal order of the JIDs.
                items.Sort(static (a, b) => string.CompareOrdinal(a.Contact, b.Contact));
                return new Roster(version ?? 0, items);
            },
            ct);
    }

    public async Task<RosterItem?> GetItemAsync(string owner, string contact, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(contact);
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(
            SelectItems + " AND contact = @Contact", new { Owner = owner, Contact = contact }, cancellationToken: ct));
        foreach (var row in rows)
        {
            return ToItem(row);
        }

        return null;
    }

    public Task<long> SetItemAsync(string owner, RosterItem item, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentException.ThrowIfNullOrEmpty(item.Contact, nameof(item));
        ArgumentNullException.ThrowIfNull(item.Groups, nameof(item));
        if (!Enum.IsDefined(item.Subscription))
        {
            throw new ArgumentOutOfRangeException(nameof(item), item.Subscription, "Unknown subscription state.");
        }

        var groups = JsonSerializer.Serialize(item.Groups as string[] ?? [.. item.Groups], RosterGroupsJson.Default.StringArray);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                var version = await BumpVersionAsync(connection, transaction, owner, ct);
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO roster_items (owner, contact, name, subscription, pending_out, groups, version)
                    VALUES (@Owner, @Contact, @Name, @Subscription, @PendingOut, @Groups, @Version)
                    ON CONFLICT (owner, contact) DO UPDATE SET
                        name = excluded.name, subscription = excluded.subscription, pending_out = excluded.pending_out,
                        groups = excluded.groups, version = excluded.version
                    """,
                    new
                    {
                        Owner = owner,
                        item.Contact,
                        item.Name,
                        Subscription = (int)item.Subscription,
                        PendingOut = item.PendingOut ? 1 : 0,
                        Groups = groups,
                        Version = version,
                    },
                    transaction,
                    cancellationToken: ct));
                return version;
            },
            ct);
    }

    public Task<long?> RemoveItemAsync(string owner, string contact, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(contact);
        return db.WriteAsync<long?>(
            async (connection, transaction) =>
            {
                var removed = await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM roster_items WHERE owner = @Owner AND contact = @Contact",
                    new { Owner = owner, Contact = contact },
                    transaction,
                    cancellationToken: ct));
                return removed == 0 ? null : await BumpVersionAsync(connection, transaction, owner, ct);
            },
            ct);
    }

    public Task AddPendingInAsync(string owner, PendingSubscription request, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Contact, nameof(request));
        ArgumentNullException.ThrowIfNull(request.StanzaXml, nameof(request));
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                // Delete then insert (not an upsert): the repeated request gets a new id and so becomes the newest.
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    DELETE FROM pending_in WHERE owner = @Owner AND contact = @Contact;
                    INSERT INTO pending_in (owner, contact, stanza, created) VALUES (@Owner, @Contact, @Stanza, @Created);
                    """,
                    new
                    {
                        Owner = owner,
                        request.Contact,
                        Stanza = request.StanzaXml,
                        Created = db.Time.GetUtcNow().ToUnixTimeMilliseconds(),
                    },
                    transaction,
                    cancellationToken: ct));
            },
            ct);
    }

    public Task ForgetVersionAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM roster_versions WHERE owner = @Owner", new { Owner = owner }, transaction, cancellationToken: ct)),
            ct);
    }

    public Task<bool> RemovePendingInAsync(string owner, string contact, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(contact);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM pending_in WHERE owner = @Owner AND contact = @Contact",
                new { Owner = owner, Contact = contact },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public async Task<IReadOnlyList<PendingSubscription>> GetPendingInAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Contact, string Stanza)>(new CommandDefinition(
            "SELECT contact, stanza FROM pending_in WHERE owner = @Owner ORDER BY id",
            new { Owner = owner },
            cancellationToken: ct));
        var requests = new List<PendingSubscription>();
        foreach (var row in rows)
        {
            requests.Add(new PendingSubscription(row.Contact, row.Stanza));
        }

        return requests;
    }

    private static Task<long> BumpVersionAsync(SqliteConnection connection, SqliteTransaction transaction, string owner, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(BumpVersion, new { Owner = owner }, transaction, cancellationToken: ct));

    private static RosterItem ToItem(ItemRow row) =>
        new(
            row.Contact,
            row.Name,
            (Subscription)row.Subscription,
            row.PendingOut != 0,
            JsonSerializer.Deserialize(row.Groups, RosterGroupsJson.Default.StringArray) ?? []);
}
