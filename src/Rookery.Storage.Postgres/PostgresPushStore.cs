using Dapper;

namespace Rookery.Storage.Postgres;

/// <summary>Push registrations (XEP-0357) in the <c>push_registrations</c> table, one row per (owner, service, node).</summary>
internal sealed class PostgresPushStore(PostgresDatabase db) : IPushStore
{
    public async Task<IReadOnlyList<PushRegistration>> GetAsync(string owner, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Service, string Node, string? PublishOptions, string Resource, DateTime EnabledAt)>(new CommandDefinition(
            "SELECT service, node, publish_options, resource, enabled_at FROM push_registrations WHERE owner = @Owner",
            new { Owner = owner },
            cancellationToken: ct));
        var registrations = new List<PushRegistration>();
        foreach (var row in rows)
        {
            registrations.Add(new PushRegistration(owner, row.Service, row.Node, row.PublishOptions, row.Resource, PostgresTime.FromColumn(row.EnabledAt)));
        }

        // The contract is ordinal (UTF-16) order; COLLATE "C" orders by code point, which differs above U+FFFF.
        registrations.Sort(static (a, b) =>
        {
            var byService = string.CompareOrdinal(a.Service, b.Service);
            return byService != 0 ? byService : string.CompareOrdinal(a.Node, b.Node);
        });
        return registrations;
    }

    public Task<bool> TryEnableAsync(PushRegistration registration, int limit, CancellationToken ct = default)
    {
        Validate(registration);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        // Under the owner's lock: two nodes enabling at once cannot both pass the count, and an enable racing an
        // account deletion cannot leave a row behind it.
        return db.WriteAsync(
            registration.Owner,
            async (connection, transaction) =>
            {
                var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM push_registrations WHERE owner = @Owner AND service = @Service AND node = @Node",
                    new { registration.Owner, registration.Service, registration.Node },
                    transaction,
                    cancellationToken: ct)) > 0;
                if (!exists)
                {
                    var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT COUNT(*) FROM push_registrations WHERE owner = @Owner", new { registration.Owner }, transaction, cancellationToken: ct));
                    if (count >= limit)
                    {
                        return false;
                    }
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO push_registrations (owner, service, node, publish_options, resource, enabled_at)
                    VALUES (@Owner, @Service, @Node, @PublishOptions, @Resource, @EnabledAt)
                    ON CONFLICT (owner, service, node) DO UPDATE SET
                        publish_options = excluded.publish_options, resource = excluded.resource, enabled_at = excluded.enabled_at
                    """,
                    new
                    {
                        registration.Owner,
                        registration.Service,
                        registration.Node,
                        registration.PublishOptions,
                        registration.Resource,
                        EnabledAt = PostgresTime.ToColumn(registration.Enabled),
                    },
                    transaction,
                    cancellationToken: ct));
                return true;
            },
            ct);
    }

    public Task<int> DisableAsync(string owner, string service, string? node, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(service);
        return db.WriteAsync(
            owner,
            (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                node is null
                    ? "DELETE FROM push_registrations WHERE owner = @Owner AND service = @Service"
                    : "DELETE FROM push_registrations WHERE owner = @Owner AND service = @Service AND node = @Node",
                new { Owner = owner, Service = service, Node = node },
                transaction,
                cancellationToken: ct)),
            ct);
    }

    private static void Validate(PushRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentException.ThrowIfNullOrEmpty(registration.Owner, nameof(registration));
        ArgumentException.ThrowIfNullOrEmpty(registration.Service, nameof(registration));
        ArgumentNullException.ThrowIfNull(registration.Node, nameof(registration));
        ArgumentNullException.ThrowIfNull(registration.Resource, nameof(registration));
    }
}
