using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;

namespace Rookery.Server.Auth;

/// <summary>
/// In-band registration (XEP-0077) policy and account creation: off unless the host allows it, limited to the
/// configured source addresses when a list is given, one registration per address per
/// <see cref="RegistrationOptions.MinSecondsBetweenRegistrations"/>, and at most <see cref="HostOptions.MaxUsers"/>
/// accounts per host.
/// </summary>
public sealed class RegistrationService(AccountService accounts, HostRegistry hosts, IOptions<ServerOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<IPAddress, DateTimeOffset> _lastByAddress = new();

    /// <summary>Whether a client connecting from <paramref name="address"/> may register on <paramref name="domain"/>.</summary>
    public bool IsOffered(string domain, IPAddress? address)
    {
        var host = hosts.Find(domain);
        if (host is not { AllowRegistration: true })
        {
            return false;
        }

        var allowed = options.Value.Registration.AllowedAddresses;
        if (allowed.Count == 0)
        {
            return true;
        }

        if (address is null)
        {
            return false;
        }

        foreach (var entry in allowed)
        {
            if (IPNetwork.TryParse(entry, out var network) ? network.Contains(Normalize(address)) : IPAddress.TryParse(entry, out var single) && single.Equals(Normalize(address)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Creates an account after checking the policy. Throws a <see cref="StanzaErrorException"/> the client understands:
    /// not-allowed (registration closed), conflict (name taken), not-acceptable (bad name or password),
    /// resource-constraint (too many registrations from the address, or the host is full).
    /// </summary>
    public async Task RegisterAsync(string domain, string username, string password, IPAddress? address, CancellationToken ct = default)
    {
        if (!IsOffered(domain, address))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAllowed, "Registration is not open here");
        }

        Jid account;
        try
        {
            account = AccountService.Normalize(username, domain);
        }
        catch (FormatException)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "The user name is not valid");
        }

        if (string.IsNullOrEmpty(password))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "A password is required");
        }

        var maxUsers = hosts.Find(domain)!.MaxUsers;
        if (maxUsers > 0 && await accounts.Store.CountAsync(domain, ct).ConfigureAwait(false) >= maxUsers)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ResourceConstraint, "This server has reached its user limit");
        }

        if (address is not null && !TryReserve(Normalize(address)))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ResourceConstraint, "Too many registrations from your address; try again later");
        }

        if (!await accounts.CreateAsync(account, password, ct).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, "The user name is taken");
        }
    }

    private bool TryReserve(IPAddress address)
    {
        var interval = TimeSpan.FromSeconds(options.Value.Registration.MinSecondsBetweenRegistrations);
        var now = time.GetUtcNow();
        while (true)
        {
            if (_lastByAddress.TryGetValue(address, out var last))
            {
                if (now - last < interval)
                {
                    return false;
                }

                if (_lastByAddress.TryUpdate(address, now, last))
                {
                    return true;
                }
            }
            else if (_lastByAddress.TryAdd(address, now))
            {
                return true;
            }
        }
    }

    // IPv4 clients on a dual-stack listener appear as ::ffff:a.b.c.d; lists are written with plain IPv4.
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
