using System.Security.Cryptography;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Sasl;
using Rookery.Server.Hosts;
using Rookery.Storage;

namespace Rookery.Server.Auth;

/// <summary>
/// Temporary accounts for SASL ANONYMOUS (RFC 4505, XEP-0175) on hosts with <see cref="HostOptions.AllowAnonymous"/>:
/// each login gets a fresh random name, lives as an ordinary account while its session lasts (so roster, presence,
/// messages and archives work as for anyone), and is deleted with everything stored for it when the session ends.
/// Like any account it counts against <see cref="HostOptions.MaxUsers"/>.
/// </summary>
public sealed class AnonymousAccounts(AccountService accounts, IRosterStore rosters, HostRegistry hosts)
{
    /// <summary>Whether the host offers ANONYMOUS.</summary>
    public bool IsAllowed(string domain) => hosts.Find(domain) is { AllowAnonymous: true };

    /// <summary>
    /// Creates a temporary account on <paramref name="domain"/>. Fails with <c>temporary-auth-failure</c> (RFC 6120
    /// §6.5.12) when the host has reached its user limit.
    /// </summary>
    public async Task<Jid> CreateAsync(string domain, CancellationToken ct = default)
    {
        var maxUsers = hosts.Find(domain)?.MaxUsers ?? 0;
        if (maxUsers > 0 && await accounts.Store.CountAsync(domain, ct).ConfigureAwait(false) >= maxUsers)
        {
            throw new SaslException(SaslFailure.TemporaryAuthFailure);
        }

        while (true)
        {
            // 80 random bits: a name nobody can guess or be given twice in practice; the loop covers the rest. The
            // password is random and never kept, so only this SASL exchange ever signs in as the account.
            var account = Jid.Create("anon-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)), domain);
            if (await accounts.CreateAsync(account, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)), ct).ConfigureAwait(false))
            {
                return account;
            }
        }
    }

    /// <summary>
    /// Deletes a temporary account and everything stored for it, the roster version counter included (its name is never
    /// reused, so XEP-0237's reason for keeping the counter does not apply).
    /// </summary>
    public async Task DeleteAsync(Jid account, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        // The counter first: whoever sees the account gone may rely on everything of it being gone.
        await rosters.ForgetVersionAsync(account.Bare.ToString(), ct).ConfigureAwait(false);
        await accounts.DeleteAsync(account.Bare, ct).ConfigureAwait(false);
    }
}
