namespace Rookery.Storage;

/// <summary>
/// User accounts of the server's hosts. Passwords never reach storage: only SCRAM salted keys, one set per hash.
/// </summary>
public interface IAccountStore
{
    /// <summary>Creates an account; returns false when it already exists.</summary>
    Task<bool> CreateAsync(string domain, string user, IReadOnlyList<StoredCredential> credentials, CancellationToken ct = default);

    /// <summary>
    /// Creates many accounts in one transaction (bulk provisioning); accounts that already exist are left as they are.
    /// Returns how many were created. Either the whole batch is committed or, on an exception, none of it.
    /// </summary>
    Task<int> CreateManyAsync(IReadOnlyList<NewAccount> accounts, CancellationToken ct = default);

    /// <summary>Replaces the credentials of an account and ends its FAST tokens (XEP-0484); returns false when the account does not exist.</summary>
    Task<bool> SetCredentialsAsync(string domain, string user, IReadOnlyList<StoredCredential> credentials, CancellationToken ct = default);

    /// <summary>The stored credentials of an account, or null when it does not exist.</summary>
    Task<IReadOnlyList<StoredCredential>?> GetCredentialsAsync(string domain, string user, CancellationToken ct = default);

    /// <summary>Whether the account exists.</summary>
    Task<bool> ExistsAsync(string domain, string user, CancellationToken ct = default);

    /// <summary>
    /// Deletes an account and everything stored for it (roster, pending subscriptions, offline messages, user data, last
    /// activity, and the data of later modules, which register their tables with the same cascade); returns false when it
    /// did not exist. The roster version counter is kept, so that a re-created account never reuses a version a client may
    /// have cached.
    /// </summary>
    Task<bool> DeleteAsync(string domain, string user, CancellationToken ct = default);

    /// <summary>The user names of a domain, sorted ordinally.</summary>
    Task<IReadOnlyList<string>> ListAsync(string domain, CancellationToken ct = default);

    /// <summary>The number of accounts of a domain.</summary>
    Task<int> CountAsync(string domain, CancellationToken ct = default);

    /// <summary>
    /// Disables or re-enables an account (XEP-0133 §4.3, §4.4): a disabled account keeps all its data but cannot log in.
    /// Returns false when the account does not exist. A new account starts enabled.
    /// </summary>
    Task<bool> SetDisabledAsync(string domain, string user, bool disabled, CancellationToken ct = default);

    /// <summary>Whether the account is disabled; false when it does not exist.</summary>
    Task<bool> IsDisabledAsync(string domain, string user, CancellationToken ct = default);

    /// <summary>The user names of a domain's disabled accounts, sorted ordinally.</summary>
    Task<IReadOnlyList<string>> ListDisabledAsync(string domain, CancellationToken ct = default);
}
