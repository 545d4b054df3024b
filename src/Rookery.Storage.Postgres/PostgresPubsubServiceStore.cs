using System.Text.Json;
using Dapper;

namespace Rookery.Storage.Postgres;

/// <summary>
/// Affiliations (<c>pubsub_affiliations</c>) and subscriptions (<c>pubsub_subscriptions</c>) of the nodes of generic
/// publish-subscribe services, whose nodes are rows of <c>pubsub_nodes</c> owned by the service's JID.
/// </summary>
/// <remarks>
/// Writes for an account's rows (its node creation, affiliation or subscription) take that account's owner lock, as
/// <see cref="PostgresAccountStore.DeleteAsync"/> does, so that none of them can outlive the account's deletion on
/// another node of a cluster. A node deleted between the existence check and the insert fails the insert on the foreign
/// key, which surfaces as an exception rather than a row left behind.
/// </remarks>
internal sealed class PostgresPubsubServiceStore(PostgresDatabase db) : IPubsubServiceStore
{
    private const string NodeExists = "SELECT COUNT(*) FROM pubsub_nodes WHERE owner = @Service AND node = @Node";

    public Task<bool> CreateNodeAsync(string service, string node, IReadOnlyDictionary<string, string> config, string owner, CancellationToken ct = default)
    {
        Validate(service, node);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var json = JsonSerializer.Serialize(new Dictionary<string, string>(config, StringComparer.Ordinal), PubsubConfigJson.Default.DictionaryStringString);
        return db.WriteAsync(
            owner,
            async (connection, transaction) =>
            {
                var created = await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO pubsub_nodes (owner, node, config) VALUES (@Service, @Node, @Config) ON CONFLICT (owner, node) DO NOTHING",
                    new { Service = service, Node = node, Config = json },
                    transaction,
                    cancellationToken: ct)) > 0;
                if (created)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO pubsub_affiliations (service, node, jid, affiliation) VALUES (@Service, @Node, @Owner, 'owner')",
                        new { Service = service, Node = node, Owner = owner },
                        transaction,
                        cancellationToken: ct));
                }

                return created;
            },
            ct);
    }

    public async Task<IReadOnlyList<PubsubAffiliation>> GetAffiliationsAsync(string service, string node, CancellationToken ct = default)
    {
        Validate(service, node);
        await using var connection = await db.OpenAsync(ct);
        var rows = (await connection.QueryAsync<(string Jid, string Affiliation)>(new CommandDefinition(
            "SELECT jid, affiliation FROM pubsub_affiliations WHERE service = @Service AND node = @Node",
            new { Service = service, Node = node },
            cancellationToken: ct))).Select(r => new PubsubAffiliation(node, r.Jid, r.Affiliation)).ToList();
        // The contract is ordinal (UTF-16) order; COLLATE "C" orders by code point, which differs above U+FFFF.
        rows.Sort(static (a, b) => string.CompareOrdinal(a.Jid, b.Jid));
        return rows;
    }

    public async Task<IReadOnlyList<PubsubAffiliation>> GetAffiliationsOfAsync(string service, string jid, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(jid);
        await using var connection = await db.OpenAsync(ct);
        var rows = (await connection.QueryAsync<(string Node, string Affiliation)>(new CommandDefinition(
            "SELECT node, affiliation FROM pubsub_affiliations WHERE jid = @Jid AND service = @Service",
            new { Service = service, Jid = jid },
            cancellationToken: ct))).Select(r => new PubsubAffiliation(r.Node, jid, r.Affiliation)).ToList();
        rows.Sort(static (a, b) => string.CompareOrdinal(a.Node, b.Node));
        return rows;
    }

    public Task<bool> SetAffiliationAsync(string service, string node, string jid, string? affiliation, CancellationToken ct = default)
    {
        Validate(service, node);
        ArgumentException.ThrowIfNullOrEmpty(jid);
        return db.WriteAsync(
            jid,
            async (connection, transaction) =>
            {
                if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    NodeExists, new { Service = service, Node = node }, transaction, cancellationToken: ct)) == 0)
                {
                    return false;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    affiliation is null
                        ? "DELETE FROM pubsub_affiliations WHERE service = @Service AND node = @Node AND jid = @Jid"
                        : """
                          INSERT INTO pubsub_affiliations (service, node, jid, affiliation) VALUES (@Service, @Node, @Jid, @Affiliation)
                          ON CONFLICT (service, node, jid) DO UPDATE SET affiliation = excluded.affiliation
                          """,
                    new { Service = service, Node = node, Jid = jid, Affiliation = affiliation },
                    transaction,
                    cancellationToken: ct));
                return true;
            },
            ct);
    }

    public async Task<IReadOnlyList<PubsubSubscription>> GetSubscriptionsAsync(string service, string node, CancellationToken ct = default)
    {
        Validate(service, node);
        await using var connection = await db.OpenAsync(ct);
        var rows = (await connection.QueryAsync<(string Jid, string SubId, bool Pending, string? Options)>(new CommandDefinition(
            "SELECT jid, subid, pending, options FROM pubsub_subscriptions WHERE service = @Service AND node = @Node",
            new { Service = service, Node = node },
            cancellationToken: ct))).Select(r => new PubsubSubscription(node, r.Jid, r.SubId, r.Pending, ReadOptions(r.Options))).ToList();
        rows.Sort(static (a, b) => string.CompareOrdinal(a.Jid, b.Jid) is var byJid and not 0 ? byJid : string.CompareOrdinal(a.SubId, b.SubId));
        return rows;
    }

    public async Task<IReadOnlyList<PubsubSubscription>> GetSubscriptionsOfAsync(string service, string bareJid, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(bareJid);
        await using var connection = await db.OpenAsync(ct);
        var rows = (await connection.QueryAsync<(string Node, string Jid, string SubId, bool Pending, string? Options)>(new CommandDefinition(
            "SELECT node, jid, subid, pending, options FROM pubsub_subscriptions WHERE account = @Account AND service = @Service",
            new { Service = service, Account = bareJid },
            cancellationToken: ct))).Select(r => new PubsubSubscription(r.Node, r.Jid, r.SubId, r.Pending, ReadOptions(r.Options))).ToList();
        rows.Sort(static (a, b) => string.CompareOrdinal(a.Node, b.Node) is var byNode and not 0 ? byNode
            : string.CompareOrdinal(a.Jid, b.Jid) is var byJid and not 0 ? byJid : string.CompareOrdinal(a.SubId, b.SubId));
        return rows;
    }

    public Task<PubsubSubscription?> SubscribeAsync(string service, PubsubSubscription subscription, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        Validate(service, subscription.Node);
        ArgumentException.ThrowIfNullOrEmpty(subscription.Jid, nameof(subscription));
        ArgumentException.ThrowIfNullOrEmpty(subscription.SubId, nameof(subscription));
        return db.WriteAsync(
            subscription.Account,
            async (connection, transaction) =>
            {
                var args = new
                {
                    Service = service,
                    subscription.Node,
                    subscription.Jid,
                    subscription.Account,
                    subscription.SubId,
                    subscription.Pending,
                    Options = WriteOptions(subscription.Options),
                };
                if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(NodeExists, args, transaction, cancellationToken: ct)) == 0)
                {
                    return null;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO pubsub_subscriptions (service, node, jid, account, subid, pending, options) VALUES (@Service, @Node, @Jid, @Account, @SubId, @Pending, @Options)",
                    args,
                    transaction,
                    cancellationToken: ct));
                return subscription;
            },
            ct);
    }

    public Task<bool> UnsubscribeAsync(string service, string node, string jid, string? subId = null, CancellationToken ct = default)
    {
        Validate(service, node);
        ArgumentException.ThrowIfNullOrEmpty(jid);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                subId is null
                    ? "DELETE FROM pubsub_subscriptions WHERE service = @Service AND node = @Node AND jid = @Jid"
                    : "DELETE FROM pubsub_subscriptions WHERE service = @Service AND node = @Node AND subid = @SubId AND jid = @Jid",
                new { Service = service, Node = node, Jid = jid, SubId = subId },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<bool> ApproveAsync(string service, string node, string jid, CancellationToken ct = default)
    {
        Validate(service, node);
        ArgumentException.ThrowIfNullOrEmpty(jid);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE pubsub_subscriptions SET pending = FALSE WHERE service = @Service AND node = @Node AND jid = @Jid AND pending = TRUE",
                new { Service = service, Node = node, Jid = jid },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public Task<bool> SetOptionsAsync(string service, string node, string subId, IReadOnlyDictionary<string, string>? options, CancellationToken ct = default)
    {
        Validate(service, node);
        ArgumentException.ThrowIfNullOrEmpty(subId);
        return db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE pubsub_subscriptions SET options = @Options WHERE service = @Service AND node = @Node AND subid = @SubId",
                new { Service = service, Node = node, SubId = subId, Options = WriteOptions(options) },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    private static string? WriteOptions(IReadOnlyDictionary<string, string>? options) =>
        options is null || options.Count == 0
            ? null
            : JsonSerializer.Serialize(new Dictionary<string, string>(options, StringComparer.Ordinal), PubsubConfigJson.Default.DictionaryStringString);

    private static Dictionary<string, string>? ReadOptions(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, PubsubConfigJson.Default.DictionaryStringString);

    private static void Validate(string service, string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(node);
    }
}
