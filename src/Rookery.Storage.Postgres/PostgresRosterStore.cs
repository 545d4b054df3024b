using Dapper;
using Npgsql;
// Dapper maps value tuples by column position.
using ItemRow = (string Contact, string? Name, short Subscription, bool PendingOut, string[] Groups);

namespace Rookery.Storage.Postgres;

/// <summary>Rosters, their versions and inbound subscription requests in <c>roster_items</c>, <c>roster_versions</c> and <c>pending_in</c>.</summary>
internal sealed class PostgresRosterStore(PostgresDatabase db) : IRosterStore
{
    private const string SelectItems = "SELECT contact, name, subscription, pending_out, groups FROM roster_items WHERE owner = @Owner";

    // The upsert creates the counter at 1 for an owner never written; RETURNING hands back the value just stored. It
    // runs in the same transaction as the item change, so a version is never visible without its change or vice versa.
    private const string BumpVersion = """
        INSERT INTO roster_versions AS v (owner, version) VALUES (@Owner, 1)
        ON CONFLICT (owner) DO UPDATE SET version = v.version + 1
        RETURNING version
        """;

    public Task<Roster> GetAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return db.ReadAsync(
            async (connection, transaction) =>
            {
                // Both queries in one REPEATABLE READ snapshot, so the version always matches the items.
                var version = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    "SELECT version FROM roster_versions WHERE owner = @Owner", new { Owner = owner }, transaction, cancellationToken: ct));
                var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(SelectItems, new { Owner = owner }, transaction, cancellationToken: ct));
                var items = new List<RosterItem>();
                foreach (var row in rows)
                {
                    items.Add(ToItem(row));
                }

                // The "C" collation is UTF-8 byte order; the contract is .NET ordinal order of the JIDs.
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

        // A text[] parameter: Dapper hands arrays to Npgsql whole instead of expanding them into a list.
        var groups = item.Groups as string[] ?? [.. item.Groups];
        return db.WriteAsync(
            owner,
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
                        Subscription = (short)item.Subscription,
                        item.PendingOut,
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
            owner,
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
            owner,
            async (connection, transaction) =>
            {
                // excluded.id is the identity value drawn for the proposed row, so a repeated request takes a new, larger
                // id and becomes the newest, in one statement.
                return await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO pending_in (owner, contact, stanza, created) VALUES (@Owner, @Contact, @Stanza, @Created)
                    ON CONFLICT (owner, contact) DO UPDATE SET id = excluded.id, stanza = excluded.stanza, created = excluded.created
                    """,
                    new
                    {
                        Owner = owner,
                        request.Contact,
                        Stanza = request.StanzaXml,
                        Created = PostgresTime.ToColumn(db.Time.GetUtcNow()),
                    },
                    transaction,
                    cancellationToken: ct));
            },
            ct);
    }

    public async Task ForgetVersionAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM roster_versions WHERE owner = @Owner", new { Owner = owner }, cancellationToken: ct));
    }

    public async Task<bool> RemovePendingInAsync(string owner, string contact, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(contact);
        // A single delete needs no lock: it cannot leave anything behind for the account cascade to miss.
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM pending_in WHERE owner = @Owner AND contact = @Contact",
            new { Owner = owner, Contact = contact },
            cancellationToken: ct)) > 0;
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

    private static Task<long> BumpVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string owner, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(BumpVersion, new { Owner = owner }, transaction, cancellationToken: ct));

    private static RosterItem ToItem(ItemRow row) =>
        new(row.Contact, row.Name, (Subscription)row.Subscription, row.PendingOut, row.Groups);
}
