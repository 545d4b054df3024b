using Rookery.Protocol.Addressing;

namespace Rookery.Modules.Blocking;

/// <summary>
/// One user's blocked JIDs as an immutable snapshot that answers "is this address blocked?" with at most three hash
/// lookups, by the matching rules of XEP-0191 §6 (those of XEP-0016 §2.1): a full JID item blocks only that resource,
/// a bare JID any of its resources, <c>domain/resource</c> only that address, and a domain item the domain itself and
/// every address at it.
/// </summary>
internal sealed class BlockList
{
    private readonly HashSet<Jid> _addresses = [];
    private readonly HashSet<string> _domains = new(StringComparer.Ordinal);

    /// <summary>The list with nothing blocked.</summary>
    public static readonly BlockList Empty = new([]);

    /// <summary>Builds a snapshot of <paramref name="items"/>, kept in the given order for block list results.</summary>
    public BlockList(IReadOnlyList<Jid> items)
    {
        Items = items;
        foreach (var item in items)
        {
            if (item is { IsDomain: true, IsBare: true })
            {
                _domains.Add(item.Domain);
            }
            else
            {
                _addresses.Add(item);
            }
        }
    }

    /// <summary>The blocked JIDs.</summary>
    public IReadOnlyList<Jid> Items { get; }

    /// <summary>True when nothing is blocked.</summary>
    public bool IsEmpty => Items.Count == 0;

    /// <summary>Whether <paramref name="jid"/> itself is one of the items (not merely matched by one).</summary>
    public bool Contains(Jid jid)
    {
        ArgumentNullException.ThrowIfNull(jid);
        return jid is { IsDomain: true, IsBare: true } ? _domains.Contains(jid.Domain) : _addresses.Contains(jid);
    }

    /// <summary>Whether stanzas to or from <paramref name="jid"/> are blocked.</summary>
    public bool Blocks(Jid jid)
    {
        ArgumentNullException.ThrowIfNull(jid);
        if (Items.Count == 0)
        {
            return false;
        }

        // XEP-0191 §6 order: user@domain/resource, user@domain, domain/resource (an exact match of the address
        // itself covers both full forms), then domain.
        return _addresses.Contains(jid)
            || (jid is { IsBare: false, IsDomain: false } && _addresses.Contains(jid.Bare))
            || _domains.Contains(jid.Domain);
    }
}
