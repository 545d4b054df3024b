using Dapper;
using Microsoft.Data.Sqlite;

namespace Rookery.Storage.Sqlite;

/// <summary>Accounts and their SCRAM credentials in the <c>accounts</c> and <c>credentials</c> tables.</summary>
internal sealed class SqliteAccountStore(SqliteDatabase db) : IAccountStore
{
    private const string InsertCredential = """
        INSERT INTO credentials (domain, username, mechanism, salt, iterations, stored_key, server_key)
        VALUES (@Domain, @User, @Mechanism, @Salt, @Iterations, @StoredKey, @ServerKey)
        """;

    public Task<bool> CreateAsync(string domain, string user, IReadOnlyList<StoredCredential> credentials, CancellationToken ct = default)
    {
        ValidateAccount(domain, user);
        ArgumentNullException.ThrowIfNull(credentials);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                var inserted = await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO accounts (domain, username, created_at) VALUES (@Domain, @User, @CreatedAt)
                    ON CONFLICT (domain, username) DO NOTHING
                    """,
                    new { Domain = domain, User = user, CreatedAt = db.Time.GetUtcNow().ToUnixTimeMilliseconds() },
                    transaction,
                    cancellationToken: ct));
                if (inserted == 0)
                {
                    return false;
                }

                await InsertCredentialsAsync(connection, transaction, domain, user, credentials, ct);
                return true;
            },
            ct);
    }

    public Task<int> CreateManyAsync(IReadOnlyList<NewAccount> accounts, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        foreach (var account in accounts)
        {
            ArgumentNullException.ThrowIfNull(account, nameof(accounts));
            ValidateAccount(account.Domain, account.User);
            ArgumentNullException.ThrowIfNull(account.Credentials, nameof(accounts));
        }

        if (accounts.Count == 0)
        {
            return Task.FromResult(0);
        }

        return db.WriteAsync(
            async (connection, transaction) =>
            {
                // One transaction for the batch: one commit (one fsync) per batch instead of one per account.
                var createdAt = db.Time.GetUtcNow().ToUnixTimeMilliseconds();
                var created = 0;
                foreach (var account in accounts)
                {
                    var inserted = await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO accounts (domain, username, created_at) VALUES (@Domain, @User, @CreatedAt)
                        ON CONFLICT (domain, username) DO NOTHING
                        """,
                        new { account.Domain, account.User, CreatedAt = createdAt },
                        transaction,
                        cancellationToken: ct));
                    if (inserted == 0)
                    {
                        continue;
                    }

                    await InsertCredentialsAsync(connection, transaction, account.Domain, account.User, account.Credentials, ct);
                    created++;
                }

                return created;
            },
            ct);
    }

    public Task<bool> SetCredentialsAsync(string domain, string user, IReadOnlyList<StoredCredential> credentials, CancellationToken ct = default)
    {
        ValidateAccount(domain, user);
        ArgumentNullException.ThrowIfNull(credentials);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                if (!await ExistsAsync(connection, transaction, domain, user, ct))
                {
                    return false;
                }

                // New credentials end every FAST token (XEP-0484) too: a password changed because it leaked must not
                // leave a token taken with it working for weeks.
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM credentials WHERE domain = @Domain AND username = @User; DELETE FROM fast_tokens WHERE owner = @Owner",
                    new { Domain = domain, User = user, Owner = user + "@" + domain },
                    transaction,
                    cancellationToken: ct));
                await InsertCredentialsAsync(connection, transaction, domain, user, credentials, ct);
                return true;
            },
            ct);
    }

    public Task<IReadOnlyList<StoredCredential>?> GetCredentialsAsync(string domain, string user, CancellationToken ct = default)
    {
        ValidateAccount(domain, user);
        return db.ReadAsync<IReadOnlyList<StoredCredential>?>(
            async (connection, transaction) =>
            {
                // One snapshot for both queries: an account with no credentials gives an empty list, a missing one null.
                if (!await ExistsAsync(connection, transaction, domain, user, ct))
                {
                    return null;
                }

                var rows = await connection.QueryAsync<(string Mechanism, byte[] Salt, long Iterations, byte[] StoredKey, byte[] ServerKey)>(
                    new CommandDefinition(
                        """
                        SELECT mechanism, salt, iterations, stored_key, server_key FROM credentials
                        WHERE domain = @Domain AND username = @User ORDER BY mechanism
                        """,
                        new { Domain = domain, User = user },
                        transaction,
                        cancellationToken: ct));
                var credentials = new List<StoredCredential>();
                foreach (var row in rows)
                {
                    credentials.Add(new StoredCredential(row.Mechanism, row.Salt, checked((int)row.Iterations), row.StoredKey, row.ServerKey));
                }

                return credentials;
            },
            ct);
    }

    public async Task<bool> ExistsAsync(string domain, string user, CancellationToken ct = default)
    {
        ValidateAccount(domain, user);
        await using var connection = await db.OpenAsync(ct);
        return await ExistsAsync(connection, null, domain, user, ct);
    }

    public Task<bool> DeleteAsync(string domain, string user, CancellationToken ct = default)
    {
        ValidateAccount(domain, user);
        return db.WriteAsync(
            async (connection, transaction) =>
            {
                // credentials go by ON DELETE CASCADE; the owner-keyed tables cannot reference accounts, so they are
                // cleared here in the same transaction. They are cleared even when the account row is already gone,
                // which sweeps up data stored for a JID that never had (or no longer has) an account. The roster version
                // row stays: a client that cached a version of the old account must never see it reused (XEP-0237).
                // On publish-subscribe services the account's subscriptions and affiliations go, and so do the nodes it
                // was the only owner of: nobody could manage them any more (their items and subscribers go with them).
                var deleted = await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM accounts WHERE domain = @Domain AND username = @User",
                    new { Domain = domain, User = user },
                    transaction,
                    cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    DELETE FROM roster_items WHERE owner = @Owner;
                    DELETE FROM pending_in WHERE owner = @Owner;
                    DELETE FROM offline WHERE owner = @Owner;
                    DELETE FROM user_data WHERE owner = @Owner;
                    DELETE FROM last_activity WHERE owner = @Owner;
                    DELETE FROM mam_messages WHERE owner = @Owner;
                    DELETE FROM mam_prefs WHERE owner = @Owner;
                    DELETE FROM mam_prefs_jids WHERE owner = @Owner;
                    DELETE FROM block_list WHERE owner = @Owner;
                    DELETE FROM pubsub_nodes WHERE owner = @Owner;
                    DELETE FROM push_registrations WHERE owner = @Owner;
                    DELETE FROM fast_tokens WHERE owner = @Owner;
                    DELETE FROM pubsub_nodes WHERE EXISTS (
                            SELECT 1 FROM pubsub_affiliations a WHERE a.service = pubsub_nodes.owner AND a.node = pubsub_nodes.node
                                AND a.jid = @Owner AND a.affiliation = 'owner')
                        AND NOT EXISTS (
                            SELECT 1 FROM pubsub_affiliations a WHERE a.service = pubsub_nodes.owner AND a.node = pubsub_nodes.node
                                AND a.jid <> @Owner AND a.affiliation = 'owner');
                    DELETE FROM pubsub_affiliations WHERE jid = @Owner;
                    DELETE FROM pubsub_subscriptions WHERE account = @Owner;
                    """,
                    new { Owner = user + "@" + domain },
                    transaction,
                    cancellationToken: ct));
                return deleted > 0;
            },
            ct);
    }

    public async Task<IReadOnlyList<string>> ListAsync(string domain, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        await using var connection = await db.OpenAsync(ct);
        var users = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT username FROM accounts WHERE domain = @Domain",
            new { Domain = domain },
            cancellationToken: ct))).AsList();
        // SQLite's BINARY collation orders by UTF-8 bytes, which differs from .NET's UTF-16 ordinal order for
        // characters above U+FFFF; the contract is ordinal, so sort here.
        users.Sort(StringComparer.Ordinal);
        return users;
    }

    public async Task<int> CountAsync(string domain, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM accounts WHERE domain = @Domain",
            new { Domain = domain },
            cancellationToken: ct));
    }

    private static async Task<bool> ExistsAsync(SqliteConnection connection, SqliteTransaction? transaction, string domain, string user, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE domain = @Domain AND username = @User)",
            new { Domain = domain, User = user },
            transaction,
            cancellationToken: ct)) != 0;

    public async Task<bool> SetDisabledAsync(string domain, string user, bool disabled, CancellationToken ct = default)
    {
        ValidateAccount(domain, user);
        return await db.WriteAsync(
            async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE accounts SET disabled = @Disabled WHERE domain = @Domain AND username = @User",
                new { Domain = domain, User = user, Disabled = disabled },
                transaction,
                cancellationToken: ct)) > 0,
            ct);
    }

    public async Task<bool> IsDisabledAsync(string domain, string user, CancellationToken ct = default)
    {
        ValidateAccount(domain, user);
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE domain = @Domain AND username = @User AND disabled = 1)",
            new { Domain = domain, User = user },
            cancellationToken: ct)) != 0;
    }

    public async Task<IReadOnlyList<string>> ListDisabledAsync(string domain, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        await using var connection = await db.OpenAsync(ct);
        var users = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT username FROM accounts WHERE domain = @Domain AND disabled = 1",
            new { Domain = domain },
            cancellationToken: ct))).AsList();
        // Ordinal (UTF-16) order is the contract, which the database's byte order is not for characters above U+FFFF.
        users.Sort(StringComparer.Ordinal);
        return users;
    }

    private static async Task InsertCredentialsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string domain, string user, IReadOnlyList<StoredCredential> credentials, CancellationToken ct)
    {
        foreach (var credential in credentials)
        {
            ArgumentNullException.ThrowIfNull(credential, nameof(credentials));
            await connection.ExecuteAsync(new CommandDefinition(
                InsertCredential,
                new
                {
                    Domain = domain,
                    User = user,
                    credential.Mechanism,
                    credential.Salt,
                    credential.Iterations,
                    credential.StoredKey,
                    credential.ServerKey,
                },
                transaction,
                cancellationToken: ct));
        }
    }

    private static void ValidateAccount(string domain, string user)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        ArgumentException.ThrowIfNullOrEmpty(user);
    }
}
