using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Bookmarks;

/// <summary>
/// Converts between the legacy bookmark list (XEP-0048: one <c>&lt;storage xmlns='storage:bookmarks'/&gt;</c> holding
/// every room) and PEP native bookmarks (XEP-0402: one <c>&lt;conference xmlns='urn:xmpp:bookmarks:1'/&gt;</c> item per
/// room, whose item id is the room's JID), as XEP-0402 §5.3 describes.
/// </summary>
internal static class BookmarkConversion
{
    /// <summary>The XEP-0402 namespace and PEP node.</summary>
    public const string Namespace = "urn:xmpp:bookmarks:1";

    /// <summary>The XEP-0048 namespace, also the legacy PEP node.</summary>
    public const string LegacyNamespace = "storage:bookmarks";

    /// <summary>
    /// The rooms of a legacy list as XEP-0402 items, in list order; a room listed twice keeps its last entry. Elements of
    /// a conference other than nick and password go into <c>&lt;extensions/&gt;</c>, where XEP-0402 §2 keeps what other
    /// specifications add to a bookmark.
    /// </summary>
    /// <exception cref="StanzaErrorException">bad-request for a conference without a valid room JID (XEP-0048 §2: jid is required).</exception>
    public static List<(string Id, Element Conference)> ToItems(Element storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var items = new List<(string Id, Element Conference)>();
        foreach (var legacy in storage.Elements())
        {
            if (legacy.Name != "conference" || legacy.Namespace != LegacyNamespace)
            {
                continue;
            }

            if (!Jid.TryParse(legacy.GetAttribute("jid"), out var room))
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Every conference bookmark needs a valid 'jid' (XEP-0048 §2)");
            }

            var id = room.ToString();
            items.RemoveAll(i => i.Id == id);
            items.Add((id, ToConference(legacy)));
        }

        return items;
    }

    /// <summary>
    /// A legacy list of the XEP-0402 items (oldest first), followed by <paramref name="others"/>' children: what a legacy
    /// list holds besides rooms (XEP-0048 URL bookmarks), which has no XEP-0402 form. Items that are not XEP-0402
    /// conferences are left out.
    /// </summary>
    public static Element ToStorage(IEnumerable<(string Id, Element Payload)> items, Element? others)
    {
        ArgumentNullException.ThrowIfNull(items);
        var storage = new Element("storage", LegacyNamespace);
        foreach (var (id, payload) in items)
        {
            if (payload.Name == "conference" && payload.Namespace == Namespace)
            {
                storage.Add(ToLegacy(id, payload));
            }
        }

        if (others is not null)
        {
            foreach (var child in others.Elements())
            {
                storage.Add(child.Clone());
            }
        }

        return storage;
    }

    /// <summary>What a legacy list holds besides its rooms (URL bookmarks, other elements), in a storage element of its own.</summary>
    public static Element Others(Element storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var others = new Element("storage", LegacyNamespace);
        foreach (var child in storage.Elements())
        {
            if (child.Name != "conference" || child.Namespace != LegacyNamespace)
            {
                others.Add(child.Clone());
            }
        }

        return others;
    }

    /// <summary>True when the list holds at least one room.</summary>
    public static bool HasRooms(Element storage) => storage.Child("conference", LegacyNamespace) is not null;

    private static Element ToConference(Element legacy)
    {
        var conference = new Element("conference", Namespace);
        if (legacy.GetAttribute("name") is { Length: > 0 } name)
        {
            conference.SetAttribute("name", name);
        }

        if (IsTrue(legacy.GetAttribute("autojoin")))
        {
            conference.SetAttribute("autojoin", "true");
        }

        Element? extensions = null;
        foreach (var child in legacy.Elements())
        {
            if (child.Namespace == LegacyNamespace && child.Name is "nick" or "password")
            {
                conference.AddChild(child.Name).AddText(child.Text);
            }
            else
            {
                (extensions ??= new Element("extensions", Namespace)).Add(child.Clone());
            }
        }

        if (extensions is not null)
        {
            conference.Add(extensions);
        }

        return conference;
    }

    private static Element ToLegacy(string id, Element conference)
    {
        // XEP-0402 §5.3: the item id becomes the jid attribute.
        var legacy = new Element("conference", LegacyNamespace).SetAttribute("jid", id);
        if (conference.GetAttribute("name") is { Length: > 0 } name)
        {
            legacy.SetAttribute("name", name);
        }

        if (IsTrue(conference.GetAttribute("autojoin")))
        {
            legacy.SetAttribute("autojoin", "true");
        }

        foreach (var child in conference.Elements())
        {
            if (child.Namespace != Namespace)
            {
                continue;
            }

            if (child.Name is "nick" or "password")
            {
                legacy.AddChild(child.Name).AddText(child.Text);
            }
            else if (child.Name == "extensions")
            {
                foreach (var extension in child.Elements())
                {
                    legacy.Add(extension.Clone());
                }
            }
        }

        return legacy;
    }

    /// <summary>xs:boolean, as both XEPs type autojoin: "true" or "1".</summary>
    private static bool IsTrue(string? value) => value is "true" or "1";
}
