using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;

namespace Rookery.Server.Hosts;

/// <summary>The virtual hosts this server serves, with their settings, looked up by (prepped) domain.</summary>
public sealed class HostRegistry
{
    private readonly FrozenDictionary<string, HostOptions> _hosts;
    private readonly FrozenSet<string> _globalAdmins;

    /// <summary>Builds the registry from the validated options.</summary>
    public HostRegistry(IOptions<ServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _hosts = o.Hosts.ToFrozenDictionary(kv => Jid.Create(null, kv.Key).Domain, kv => kv.Value, StringComparer.Ordinal);
        _globalAdmins = o.Admins.Select(a => Jid.Parse(a).Bare.ToString()).ToFrozenSet(StringComparer.Ordinal);
        Domains = [.. _hosts.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>The served domains, sorted.</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>Whether the domain is one of ours.</summary>
    public bool IsLocal(string domain) => _hosts.ContainsKey(domain);

    /// <summary>The settings of a served domain, or null.</summary>
    public HostOptions? Find(string domain) => _hosts.GetValueOrDefault(domain);

    /// <summary>Whether <paramref name="user"/> administers <paramref name="domain"/>.</summary>
    public bool IsAdmin(Jid user, string domain)
    {
        ArgumentNullException.ThrowIfNull(user);
        var bare = user.Bare.ToString();
        if (_globalAdmins.Contains(bare))
        {
            return true;
        }

        var host = Find(domain);
        if (host is null)
        {
            return false;
        }

        foreach (var a in host.Admins)
        {
            if (Jid.TryParse(a, out var admin) && admin.Bare == user.Bare)
            {
                return true;
            }
        }

        return false;
    }
}
