using System.Text;

namespace Rookery.Protocol.Xml;

/// <summary>An interned name with its UTF-8 form, so later occurrences are matched by bytes without decoding.</summary>
internal sealed class NameEntry
{
    public NameEntry(string value, byte[] utf8, int hash)
    {
        Value = value;
        Utf8 = utf8;
        Hash = hash;
    }

    public string Value { get; }

    public byte[] Utf8 { get; }

    public int Hash { get; }
}

/// <summary>
/// Turns UTF-8 names, namespace URIs and common attribute values into strings without allocating for the ones seen
/// before: a fixed table of well-known XMPP names (shared, read-only, reference-equal to the <see cref="Ns"/> literals)
/// backed by a small direct-mapped per-parser cache for everything else.
/// </summary>
internal sealed class NameTable
{
    private const int CacheSize = 256;
    private const int MaxCachedLength = 128;
    private const int WellKnownSize = 1024;

    private static readonly NameEntry?[] WellKnownTable = BuildWellKnown();

    // Created at the first name that is not well known: most streams only ever use well-known names, and an idle
    // connection should not carry a 2 KiB table it never needs (issue #6).
    private NameEntry?[]? _cache;

    /// <summary>The entry for the empty prefix (the default namespace).</summary>
    public static NameEntry Empty { get; } = new(string.Empty, [], Hash([]));

    /// <summary>Returns the interned entry for <paramref name="utf8"/>, which must be valid UTF-8.</summary>
    public NameEntry GetEntry(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        var entry = FindWellKnown(utf8, hash);
        if (entry is not null)
        {
            return entry;
        }

        _cache ??= new NameEntry?[CacheSize];
        ref var slot = ref _cache[hash & (CacheSize - 1)];
        entry = slot;
        if (entry is not null && entry.Hash == hash && utf8.SequenceEqual(entry.Utf8))
        {
            return entry;
        }

        entry = new NameEntry(Encoding.UTF8.GetString(utf8), utf8.ToArray(), hash);
        if (utf8.Length <= MaxCachedLength)
        {
            slot = entry;
        }

        return entry;
    }

    /// <summary>Returns the interned string for <paramref name="utf8"/>, which must be valid UTF-8.</summary>
    public string Get(ReadOnlySpan<byte> utf8) =>
        utf8.Length <= MaxCachedLength ? GetEntry(utf8).Value : Encoding.UTF8.GetString(utf8);

    /// <summary>Returns the well-known string equal to <paramref name="utf8"/>, or null (attribute values: no caching of the rest).</summary>
    public static string? GetWellKnown(ReadOnlySpan<byte> utf8) =>
        utf8.Length > MaxCachedLength ? null : FindWellKnown(utf8, Hash(utf8))?.Value;

    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var hc = default(HashCode);
        hc.AddBytes(utf8);
        return hc.ToHashCode();
    }

    private static NameEntry? FindWellKnown(ReadOnlySpan<byte> utf8, int hash)
    {
        var i = hash & (WellKnownSize - 1);
        while (true)
        {
            var e = WellKnownTable[i];
            if (e is null)
            {
                return null;
            }

            if (e.Hash == hash && utf8.SequenceEqual(e.Utf8))
            {
                return e;
            }

            i = (i + 1) & (WellKnownSize - 1);
        }
    }

    private static NameEntry?[] BuildWellKnown()
    {
        string[] names =
        [
            // Namespaces (the Ns constants first, so the interned strings are reference-equal to them).
            Ns.Streams, Ns.Client, Ns.Server, Ns.Component, Ns.StreamErrors, Ns.StanzaErrors, Ns.Tls, Ns.Sasl, Ns.Bind,
            Ns.Session, Ns.Roster, Ns.RosterVer, Ns.PreApproval, Ns.Delay, Ns.Xml,
            "jabber:server:dialback", "urn:xmpp:features:dialback", "jabber:iq:version", "jabber:iq:last",
            "jabber:iq:private", "jabber:iq:register", "jabber:iq:auth", "jabber:x:data", "jabber:x:oob",
            "jabber:x:conference", "jabber:x:delay", "vcard-temp", "vcard-temp:x:update", "urn:xmpp:ping",
            "urn:xmpp:time", "urn:xmpp:receipts", "urn:xmpp:sm:3", "urn:xmpp:carbons:2", "urn:xmpp:forward:0",
            "urn:xmpp:mam:2", "urn:xmpp:sid:0", "urn:xmpp:csi:0", "urn:xmpp:blocking", "urn:xmpp:chat-markers:0",
            "urn:xmpp:hints", "urn:xmpp:message-correct:0", "urn:xmpp:bookmarks:1", "urn:xmpp:http:upload:0",
            "urn:xmpp:idle:1", "urn:xmpp:avatar:metadata", "urn:xmpp:avatar:data", "urn:xmpp:reply:0",
            "urn:xmpp:reactions:0", "urn:xmpp:fallback:0", "urn:xmpp:occupant-id:0", "urn:xmpp:mucsub:0",
            "urn:xmpp:jingle:1", "urn:xmpp:jingle-message:0", "urn:xmpp:eme:0", "urn:xmpp:omemo:2",
            "eu.siacs.conversations.axolotl", "storage:bookmarks",
            "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
            "http://jabber.org/protocol/caps", "http://jabber.org/protocol/chatstates",
            "http://jabber.org/protocol/muc", "http://jabber.org/protocol/muc#user",
            "http://jabber.org/protocol/muc#admin", "http://jabber.org/protocol/muc#owner",
            "http://jabber.org/protocol/pubsub", "http://jabber.org/protocol/pubsub#event",
            "http://jabber.org/protocol/pubsub#owner", "http://jabber.org/protocol/nick",
            "http://jabber.org/protocol/rsm", "http://jabber.org/protocol/address", "http://jabber.org/features/iq-register",
            "http://www.w3.org/1999/xhtml", "http://jabber.org/protocol/xhtml-im",

            // Element names.
            "stream", "features", "error", "message", "presence", "iq", "body", "subject", "thread", "show", "status",
            "priority", "query", "item", "items", "x", "delay", "starttls", "required", "proceed", "failure", "auth",
            "challenge", "response", "success", "abort", "mechanisms", "mechanism", "bind", "resource", "jid",
            "session", "optional", "text", "c", "ping", "enable", "enabled", "resume", "resumed", "r", "a", "sm",
            "request", "received", "active", "inactive", "composing", "paused", "gone", "sent", "forwarded", "result",
            "set", "first", "last", "count", "index", "before", "after", "max", "group", "field", "value", "option",
            "feature", "identity", "vCard", "photo", "nick", "data", "register", "fin", "stanza-id", "origin-id",
            "markable", "displayed", "acknowledged", "store", "no-store", "no-copy", "no-permanent-store", "private",
            "encrypted", "header", "payload", "publish", "publish-options", "pubsub", "event", "retract", "storage",
            "conference", "password", "history", "actor", "reason", "invite", "decline", "destroy", "blocklist",
            "block", "unblock", "replace", "reply", "reactions", "reaction", "fallback", "occupant-id", "html",
            "db:result", "db:verify", "dialback", "ver", "instructions", "title", "desc", "url", "username",

            // Attribute names (as written, prefix included).
            "to", "from", "id", "type", "xml:lang", "version", "name", "subscription", "ask", "node", "hash",
            "category", "var", "stamp", "label", "h", "by", "code", "role", "affiliation", "seconds", "since",
            "maxstanzas", "maxchars", "xmlns", "stream", "db", "xml", "location", "previd", "tag", "jid", "nick",

            // Common attribute values.
            "chat", "groupchat", "normal", "headline", "get", "result", "unavailable", "subscribe", "subscribed",
            "unsubscribe", "unsubscribed", "probe", "both", "none", "remove", "1.0", "en", "true", "false", "away",
            "xa", "dnd", "cancel", "continue", "modify", "wait", "auth", "submit", "form", "hidden", "text-single",
            "list-single", "boolean", "valid", "invalid", "member", "moderator", "participant", "visitor", "owner",
            "admin", "outcast", "sha-1", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512",
            "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "EXTERNAL", "ANONYMOUS",
        ];

        var table = new NameEntry?[WellKnownSize];
        foreach (var name in names)
        {
            var utf8 = Encoding.UTF8.GetBytes(name);
            var hash = Hash(utf8);
            var i = hash & (WellKnownSize - 1);
            while (table[i] is { } existing)
            {
                if (existing.Value == name)
                {
                    break; // listed twice (a name that is also a value); the first instance wins
                }

                i = (i + 1) & (WellKnownSize - 1);
            }

            table[i] ??= new NameEntry(name, utf8, hash);
        }

        return table;
    }
}
