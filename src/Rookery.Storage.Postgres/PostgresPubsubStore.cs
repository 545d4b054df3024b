using System.Text.Json;
using Dapper;
using Npgsql;
// Dapper maps value tuples by column position.
using ItemRow = (string Id, string Publisher, System.DateTime Published, string PayloadXml);

namespace Rookery.Storage.Postgres;

/// <summary>
/// Personal eventing nodes (XEP-0163) in the <c>pubsub_nodes</c> table and their items in <c>pubsub_items</c>, ordered
/// by a per-node sequence number that every publication raises.
/// </summary>
internal sealed class PostgresPubsubStore(PostgresDatabase db) : IPubsubStore
{
    private const string ItemColumns = "item_id, publisher, published, payload";

    public async Task<IReadOnlyList<PubsubNode>> GetNodesAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Node, string Config)>(new CommandDefinition(
            "SELECT node, config FROM pubsub_nodes WHERE owner = @Owner", new { Owner = owner }, cancellationToken: ct));
        var nodes = new List<PubsubNode>();
        foreach (var row in rows)
        {
            nodes.Add(new PubsubNode(row.Node, ReadConfig(row.Config)));
        }

        // The contract is ordinal (UTF-16) order; COLLATE "C" orders by code point, which differs above U+FFFF.
        nodes.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return nodes;
    }

    public async Task<PubsubNode?> GetNodeAsync(string owner, string node, CancellationToken ct = default)
    {
        Validate(owner, node);
        await using var connection = await db.OpenAsync(ct);
        var config = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT config FROM pubsub_nodes WHERE owner = @Owner AND node = @Node", new { Owner = owner, Node = node }, cancellationToken: ct));
        return config is null ? null : new PubsubNode(node, ReadConfig(config));
    }

    public Task<bool> CreateNodeAsync(string owner, string node, IReadOnlyDictionary<string, string> config, CancellationToken ct = default)
    {
        Validate(owner, node);
        var json = WriteConfig(config);
        // Under the owner's lock so that a node created while the account is deleted cannot outlive it.
        return db.WriteAsync(
            owner,
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO pubsub_nodes (owner, node, config) VALUES (@Owner, @Node, @Config) ON CONFLICT (owner, node) DO NOTHING",
                new { Owner = owner, Node = node, Config = json },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<bool> ConfigureNodeAsync(string owner, string node, IReadOnlyDictionary<string, string> config, CancellationToken ct = default)
    {
        Validate(owner, node);
        var json = WriteConfig(config);
        return db.WriteAsync(
            owner,
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE pubsub_nodes SET config = @Config WHERE owner = @Owner AND node = @Node",
                new { Owner = owner, Node = node, Config = json },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<bool> DeleteNodeAsync(string owner, string node, CancellationToken ct = default)
    {
        Validate(owner, node);
        // Items go by ON DELETE CASCADE.
        return db.WriteAsync(
            owner,
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM pubsub_nodes WHERE owner = @Owner AND node = @Node",
                new { Owner = owner, Node = node },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<IReadOnlyList<string>?> PublishAsync(string owner, string node, PubsubItem item, int? maxItems, CancellationToken ct = default)
    {
        Validate(owner, node);
        ValidateItem(item);
        if (maxItems is { } m)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(m, nameof(maxItems));
        }

        // Under the owner's lock: the next sequence number, the replacement and the trimming never interleave with
        // another publication to the same account, on this node or another one sharing the database.
        return db.WriteAsync<IReadOnlyList<string>?>(
            owner,
            async (connection, transaction) =>
            {
                var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM pubsub_nodes WHERE owner = @Owner AND node = @Node)",
                    new { Owner = owner, Node = node },
                    transaction,
                    cancellationToken: ct));
                if (!exists)
                {
                    return null;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    DELETE FROM pubsub_items WHERE owner = @Owner AND node = @Node AND item_id = @Id;
                    INSERT INTO pubsub_items (owner, node, item_id, seq, publisher, published, payload)
                    VALUES (@Owner, @Node, @Id,
                            (SELECT COALESCE(MAX(seq), 0) + 1 FROM pubsub_items WHERE owner = @Owner AND node = @Node),
                            @Publisher, @Published, @Payload);
                    """,
                    new
                    {
                        Owner = owner,
                        Node = node,
                        item.Id,
                        item.Publisher,
                        Published = PostgresTime.ToColumn(item.Published),
                        Payload = item.PayloadXml,
                    },
                    transaction,
                    cancellationToken: ct));
                return maxItems is { } max ? await TrimAsync(connection, transaction, owner, node, max, ct) : [];
            },
            ct);
    }

    public async Task<IReadOnlyList<PubsubItem>> GetItemsAsync(string owner, string node, int? max, CancellationToken ct = default)
    {
        Validate(owner, node);
        if (max is { } m)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(m, nameof(max));
        }

        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(
            $"SELECT {ItemColumns} FROM pubsub_items WHERE owner = @Owner AND node = @Node ORDER BY seq DESC LIMIT @Max",
            new { Owner = owner, Node = node, Max = (long?)max },
            cancellationToken: ct));
        return ToItems(rows);
    }

    public async Task<IReadOnlyList<PubsubItem>> GetItemsByIdAsync(string owner, string node, IReadOnlyCollection<string> ids, CancellationToken ct = default)
    {
        Validate(owner, node);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return [];
        }

        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(
            $"SELECT {ItemColumns} FROM pubsub_items WHERE owner = @Owner AND node = @Node AND item_id = ANY(@Ids) ORDER BY seq DESC",
            new { Owner = owner, Node = node, Ids = ids.ToArray() },
            cancellationToken: ct));
        return ToItems(rows);
    }

    public Task<bool> RetractAsync(string owner, string node, string itemId, CancellationToken ct = default)
    {
        Validate(owner, node);
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        return db.WriteAsync(
            owner,
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM pubsub_items WHERE owner = @Owner AND node = @Node AND item_id = @Id",
                new { Owner = owner, Node = node, Id = itemId },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<IReadOnlyList<string>> TrimAsync(string owner, string node, int maxItems, CancellationToken ct = default)
    {
        Validate(owner, node);
        ArgumentOutOfRangeException.ThrowIfNegative(maxItems);
        return db.WriteAsync(owner, (connection, transaction) => TrimAsync(connection, transaction, owner, node, maxItems, ct), ct);
    }

    private static async Task<IReadOnlyList<string>> TrimAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string owner, string node, int maxItems, CancellationToken ct)
    {
        var doomed = (await connection.QueryAsync<string>(new CommandDefinition(
            """
            DELETE FROM pubsub_items WHERE owner = @Owner AND node = @Node AND item_id IN (
                SELECT item_id FROM pubsub_items WHERE owner = @Owner AND node = @Node ORDER BY seq DESC OFFSET @Keep)
            RETURNING item_id
            """,
            new { Owner = owner, Node = node, Keep = (long)maxItems },
            transaction,
            cancellationToken: ct))).AsList();
        return doomed;
    }

    private static List<PubsubItem> ToItems(IEnumerable<ItemRow> rows)
    {
        var items = new List<PubsubItem>();
        foreach (var row in rows)
        {
            items.Add(new PubsubItem(row.Id, row.Publisher, PostgresTime.FromColumn(row.Published), row.PayloadXml));
        }

        return items;
    }

    private static Dictionary<string, string> ReadConfig(string json) =>
        JsonSerializer.Deserialize(json, PubsubConfigJson.Default.DictionaryStringString) ?? [];

    private static string WriteConfig(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return JsonSerializer.Serialize(new Dictionary<string, string>(config, StringComparer.Ordinal), PubsubConfigJson.Default.DictionaryStringString);
    }

    private static void Validate(string owner, string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(node);
    }

    private static void ValidateItem(PubsubItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentException.ThrowIfNullOrEmpty(item.Id, nameof(item));
        ArgumentNullException.ThrowIfNull(item.Publisher, nameof(item));
        ArgumentNullException.ThrowIfNull(item.PayloadXml, nameof(item));
    }
}
