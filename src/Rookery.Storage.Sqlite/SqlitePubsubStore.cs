using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Rookery.Storage.Sqlite;

/// <summary>
/// Personal eventing nodes (XEP-0163) in the <c>pubsub_nodes</c> table and their items in <c>pubsub_items</c>, ordered
/// by a per-node sequence number that every publication raises.
/// </summary>
internal sealed class SqlitePubsubStore(SqliteDatabase db) : IPubsubStore
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

        // The contract is ordinal (UTF-16) order, which SQLite's byte-wise BINARY collation does not give.
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
        return db.WriteAsync(
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

        // One BEGIN IMMEDIATE transaction: the next sequence number, the replacement and the trimming see no other writer.
        return db.WriteAsync<IReadOnlyList<string>?>(
            async (connection, transaction) =>
            {
                var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM pubsub_nodes WHERE owner = @Owner AND node = @Node",
                    new { Owner = owner, Node = node },
                    transaction,
                    cancellationToken: ct));
                if (exists == 0)
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
                        Published = item.Published.ToUnixTimeMilliseconds(),
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
        var rows = await connection.QueryAsync<(string Id, string Publisher, long Published, string PayloadXml)>(new CommandDefinition(
            $"SELECT {ItemColumns} FROM pubsub_items WHERE owner = @Owner AND node = @Node ORDER BY seq DESC LIMIT @Max",
            new { Owner = owner, Node = node, Max = max ?? -1 },
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
        var rows = await connection.QueryAsync<(string Id, string Publisher, long Published, string PayloadXml)>(new CommandDefinition(
            $"SELECT {ItemColumns} FROM pubsub_items WHERE owner = @Owner AND node = @Node AND item_id IN @Ids ORDER BY seq DESC",
            new { Owner = owner, Node = node, Ids = ids.Distinct(StringComparer.Ordinal).ToArray() },
            cancellationToken: ct));
        return ToItems(rows);
    }

    public Task<bool> RetractAsync(string owner, string node, string itemId, CancellationToken ct = default)
    {
        Validate(owner, node);
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        return db.WriteAsync(
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
        return db.WriteAsync((connection, transaction) => TrimAsync(connection, transaction, owner, node, maxItems, ct), ct);
    }

    private static async Task<IReadOnlyList<string>> TrimAsync(
        SqliteConnection connection, SqliteTransaction transaction, string owner, string node, int maxItems, CancellationToken ct)
    {
        var doomed = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT item_id FROM pubsub_items WHERE owner = @Owner AND node = @Node ORDER BY seq DESC LIMIT -1 OFFSET @Keep",
            new { Owner = owner, Node = node, Keep = maxItems },
            transaction,
            cancellationToken: ct))).AsList();
        if (doomed.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM pubsub_items WHERE owner = @Owner AND node = @Node AND item_id IN @Ids",
                new { Owner = owner, Node = node, Ids = doomed },
                transaction,
                cancellationToken: ct));
        }

        return doomed;
    }

    private static List<PubsubItem> ToItems(IEnumerable<(string Id, string Publisher, long Published, string PayloadXml)> rows)
    {
        var items = new List<PubsubItem>();
        foreach (var row in rows)
        {
            items.Add(new PubsubItem(row.Id, row.Publisher, DateTimeOffset.FromUnixTimeMilliseconds(row.Published), row.PayloadXml));
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
