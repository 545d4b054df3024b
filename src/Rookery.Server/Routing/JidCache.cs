using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Rookery.Protocol.Addressing;

namespace Rookery.Server.Routing;

/// <summary>
/// Parsed addresses by their text, shared by a node's client streams: the 'to' of a message is mostly the address of
/// one of a few hundred active peers, and preparing a JID (RFC 7622 §3: case mapping, normalisation, bidi checks) is the
/// costliest step of routing a message after parsing it (issue #6). A hit also returns the same <see cref="Jid"/>, whose
/// bare form is then computed once. Bounded: when full it starts over, so a client sending to ever new addresses costs
/// no more than parsing each.
/// </summary>
internal sealed class JidCache
{
    /// <summary>How many addresses the cache holds before it starts over.</summary>
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, Jid> _parsed = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>Parses and prepares <paramref name="text"/> as <see cref="Jid.TryParse(string?, out Jid?)"/> does, from the cache when it can.</summary>
    public bool TryParse(string text, [NotNullWhen(true)] out Jid? jid)
    {
        if (_parsed.TryGetValue(text, out jid))
        {
            return true;
        }

        if (!Jid.TryParse(text, out jid))
        {
            // Invalid addresses are not kept: they are rare, and keeping them would let a client fill the cache.
            return false;
        }

        // Counted here, not with ConcurrentDictionary.Count, which takes every lock of the table. Approximate under
        // races, which only moves the moment of starting over.
        if (Volatile.Read(ref _count) >= Capacity)
        {
            _parsed.Clear();
            Volatile.Write(ref _count, 0);
        }

        // Preparation is deterministic, so a racing thread that added the same text added an equal JID.
        if (_parsed.TryAdd(text, jid))
        {
            Interlocked.Increment(ref _count);
        }

        return true;
    }
}
