using System.Text;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// The last messages of a room, sent to new occupants (XEP-0045 §7.2.15) within the limits they ask for: at most
/// <c>maxstanzas</c> messages, <c>maxchars</c> characters of XML, those of the last <c>seconds</c>, or those since a time.
/// </summary>
internal sealed class RoomHistory(int capacity)
{
    private readonly LinkedList<Entry> _entries = new();

    /// <summary>One message as it was broadcast (from room/nick, no 'to'), with the time the room received it.</summary>
    public sealed record Entry(Element Message, DateTimeOffset Stamp, int Chars);

    /// <summary>The messages kept, oldest first.</summary>
    public IReadOnlyCollection<Entry> Entries => _entries;

    /// <summary>Adds a message, dropping the oldest beyond the capacity.</summary>
    public void Add(Element message, DateTimeOffset stamp)
    {
        if (capacity == 0)
        {
            return;
        }

        _entries.AddLast(new Entry(message, stamp, Encoding.UTF8.GetByteCount(ElementWriter.ToXmlString(message))));
        while (_entries.Count > capacity)
        {
            _entries.RemoveFirst();
        }
    }

    /// <summary>
    /// Forgets the message the room archived as <paramref name="stanzaId"/> (its XEP-0359 stanza-id by
    /// <paramref name="by"/>), for a moderated retraction (XEP-0425); returns whether one was kept.
    /// </summary>
    public bool RemoveStanzaId(string stanzaId, string by)
    {
        for (var node = _entries.First; node is not null; node = node.Next)
        {
            foreach (var child in node.Value.Message.Elements())
            {
                if (child.Name == "stanza-id" && child.Namespace == MucNs.StanzaId && child.GetAttribute("by") == by && child.GetAttribute("id") == stanzaId)
                {
                    _entries.Remove(node);
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Forgets every message.</summary>
    public void Clear() => _entries.Clear();

    /// <summary>
    /// The newest messages that fit every limit, oldest first. §7.2.15: the limits combine; <c>maxchars</c> counts the
    /// whole stanza as XML, and 0 for <c>maxstanzas</c> or <c>maxchars</c> asks for no history.
    /// </summary>
    public List<Entry> Select(int? maxStanzas, int? maxChars, DateTimeOffset? since)
    {
        var picked = new List<Entry>();
        var chars = 0;
        for (var node = _entries.Last; node is not null; node = node.Previous)
        {
            var e = node.Value;
            if ((maxStanzas is { } ms && picked.Count >= ms) || (since is { } s && e.Stamp < s))
            {
                break;
            }

            if (maxChars is { } mc && chars + e.Chars > mc)
            {
                break;
            }

            chars += e.Chars;
            picked.Add(e);
        }

        picked.Reverse();
        return picked;
    }
}
