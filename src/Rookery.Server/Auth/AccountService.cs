using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Sasl;
using Rookery.Server.Hosts;
using Rookery.Storage;

namespace Rookery.Server.Auth;

/// <summary>
/// Account operations shared by the CLI, SASL and (later) in-band registration: user names are prepped as JID local
/// parts, and passwords are turned into SCRAM keys for every supported hash before anything is stored.
/// </summary>
public sealed class AccountService(IAccountStore store, IOptions<ServerOptions> options)
{
    // Cheapest PBKDF2 first: VerifyPasswordAsync relies on this order.
    private static readonly ScramHash[] Hashes = [ScramHash.Sha1, ScramHash.Sha256, ScramHash.Sha512];

    /// <summary>The underlying store.</summary>
    public IAccountStore Store => store;

    /// <summary>Normalises a user name; throws <see cref="FormatException"/> when it is not a valid local part.</summary>
    public static Jid Normalize(string user, string domain) => Jid.Create(user, domain);

    /// <summary>Creates an account; returns false when it exists already.</summary>
    public Task<bool> CreateAsync(Jid account, string password, CancellationToken ct = default) =>
        store.CreateAsync(account.Domain, account.Local!, Derive(password), ct);

    /// <summary>
    /// Creates many accounts in one storage transaction (bulk provisioning); accounts that exist already are left
    /// untouched. PBKDF2 for the batch runs on all cores, since it is nearly all of the cost. <paramref name="iterations"/>
    /// overrides <c>Auth:ScramIterations</c> (benchmark accounts). Returns how many accounts were created.
    /// </summary>
    public Task<int> CreateManyAsync(IReadOnlyList<(Jid Account, string Password)> accounts, int? iterations = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var count = iterations ?? options.Value.Auth.ScramIterations;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(iterations));
        var batch = new NewAccount[accounts.Count];
        Parallel.For(0, accounts.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            var (account, password) = accounts[i];
            if (account.Local is null || !account.IsBare)
            {
                throw new ArgumentException($"'{account}' is not an account JID", nameof(accounts));
            }

            batch[i] = new NewAccount(account.Domain, account.Local, Derive(password, count));
        });
        return store.CreateManyAsync(batch, ct);
    }

    /// <summary>Changes a password; returns false when the account does not exist.</summary>
    public Task<bool> SetPasswordAsync(Jid account, string password, CancellationToken ct = default) =>
        store.SetCredentialsAsync(account.Domain, account.Local!, Derive(password), ct);

    /// <summary>
    /// Deletes an account and everything stored for it (roster, subscriptions, offline messages, archives...); returns
    /// false when it did not exist. The CLI, in-band removal (XEP-0077) and the admin commands (XEP-0133) share this.
    /// </summary>
    public Task<bool> DeleteAsync(Jid account, CancellationToken ct = default) =>
        store.DeleteAsync(account.Domain, account.Local!, ct);

    /// <summary>
    /// Whether an administrator disabled the account (XEP-0133 §4.3). Read from the shared store on every login, so
    /// that every node of a cluster refuses a disabled account at once.
    /// </summary>
    public Task<bool> IsDisabledAsync(Jid account, CancellationToken ct = default) =>
        store.IsDisabledAsync(account.Domain, account.Local!, ct);

    /// <summary>Disables or re-enables an account; returns false when it does not exist.</summary>
    public Task<bool> SetDisabledAsync(Jid account, bool disabled, CancellationToken ct = default) =>
        store.SetDisabledAsync(account.Domain, account.Local!, disabled, ct);

    /// <summary>The SCRAM keys of an account for one hash, or null when the account (or that hash) does not exist.</summary>
    public async Task<ScramKeys?> GetKeysAsync(Jid account, ScramHash hash, CancellationToken ct = default)
    {
        var stored = await store.GetCredentialsAsync(account.Domain, account.Local!, ct).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        var name = hash.HashName();
        foreach (var c in stored)
        {
            if (c.Mechanism == name)
            {
                return new ScramKeys(hash, c.Salt, c.Iterations, c.StoredKey, c.ServerKey);
            }
        }

        return null;
    }

    /// <summary>
    /// Checks a clear-text password (SASL PLAIN) against the stored keys by deriving the cheapest stored hash's key again
    /// with its stored salt and iteration count, compared in constant time.
    /// </summary>
    public async Task<bool> VerifyPasswordAsync(Jid account, string password, CancellationToken ct = default)
    {
        // One storage round trip for all hashes, then exactly one PBKDF2 with the stored salt and iteration count: the
        // cost of a PLAIN login is that derivation, by design (issue #6). Any stored key proves the password equally
        // well (all are derived from it together, each with its stored iteration count), so PLAIN uses the cheapest one: SHA-1, as
        // Prosody does for its PLAIN check, then SHA-256, then SHA-512. SCRAM itself is untouched by this choice.
        var stored = await store.GetCredentialsAsync(account.Domain, account.Local!, ct).ConfigureAwait(false);
        if (stored is null)
        {
            return false;
        }

        // Hashes is ordered cheapest first.
        foreach (var h in Hashes)
        {
            var name = h.HashName();
            foreach (var c in stored)
            {
                if (c.Mechanism == name)
                {
                    return ScramKeys.MatchesPassword(h, password, c.Salt, c.Iterations, c.StoredKey);
                }
            }
        }

        return false;
    }

    private List<StoredCredential> Derive(string password) => Derive(password, options.Value.Auth.ScramIterations);

    private static List<StoredCredential> Derive(string password, int iterations)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        var list = new List<StoredCredential>(Hashes.Length);
        foreach (var h in Hashes)
        {
            var k = ScramKeys.Create(h, password, iterations);
            list.Add(new StoredCredential(h.HashName(), k.Salt, k.Iterations, k.StoredKey, k.ServerKey));
        }

        return list;
    }
}
