using System.Diagnostics.CodeAnalysis;
using System.Text;
using Rookery.Protocol.Addressing;

namespace Rookery.Cluster.Links;

/// <summary>
/// The full JIDs named by one link's STANZA frames, parsed (and prepared, RFC 7622) once per distinct target instead of
/// decoding and parsing the target of every forwarded stanza: a link forwards to the same few sessions over and over.
/// Bounded (cleared when full); used by the link's reader only.
/// </summary>
internal sealed class ForwardedTargets
{
    private const int MaxEntries = 4096;
    private readonly Dictionary<int, (byte[] Utf8, Jid Jid)> _entries = [];

    /// <summary>The JID whose UTF-8 text is <paramref name="utf8"/>; false when it is not a valid JID.</summary>
    public bool TryResolve(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out Jid? jid)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        var key = hash.ToHashCode();
        if (_entries.TryGetValue(key, out var known) && utf8.SequenceEqual(known.Utf8))
        {
            jid = known.Jid;
            return true;
        }

        if (!Jid.TryParse(Encoding.UTF8.GetString(utf8), out jid))
        {
            return false;
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        // A hash collision replaces the older entry: the cache only ever answers for bytes equal to its key.
        _entries[key] = (utf8.ToArray(), jid);
        return true;
    }
}
