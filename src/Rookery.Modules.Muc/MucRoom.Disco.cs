using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>Room discovery (XEP-0045 §6.4, §6.5) and the reserved-nick query (§7.12).</summary>
internal sealed partial class MucRoom
{
    /// <summary>Whether the service lists the room in its disco#items (§6.3): public and not locked.</summary>
    public bool IsListed => Config.Public && !Locked;

    private Element DiscoInfo(Element query, Jid from)
    {
        var node = query.GetAttribute("node");
        var result = new Element("query", MucNs.DiscoInfo).SetAttribute("node", node);
        if (node == MucNs.RoomUserItemNode)
        {
            // §7.12: the user's reserved nick as the identity's name; no identity when none is reserved.
            if (ReservedNickOf(from) is { } nick)
            {
                result.AddChild("identity").SetAttribute("category", "conference").SetAttribute("type", "text").SetAttribute("name", nick);
            }

            return result;
        }

        if (node is not null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        }

        if (Locked && AffiliationOf(from) != MucAffiliation.Owner)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        }

        result.AddChild("identity").SetAttribute("category", "conference").SetAttribute("type", "text")
            .SetAttribute("name", string.IsNullOrEmpty(Config.Name) ? Jid.Local : Config.Name);
        var features = new SortedSet<string>(StringComparer.Ordinal)
        {
            MucNs.Muc, MucNs.DiscoInfo, MucNs.DiscoItems, MucNs.OccupantId, MucNs.SelfPingOptimization, MucNs.IqRegister, MucNs.Ping,
            Config.Public ? "muc_public" : "muc_hidden",
            Config.Persistent ? "muc_persistent" : "muc_temporary",
            Config.MembersOnly ? "muc_membersonly" : "muc_open",
            Config.Moderated ? "muc_moderated" : "muc_unmoderated",
            Config.Whois == MucWhois.Anyone ? "muc_nonanonymous" : "muc_semianonymous",
            Config.PasswordProtected ? "muc_passwordprotected" : "muc_unsecured",
        };
        if (Locked)
        {
            features.Add("muc_unconfigured");
        }

        if (Config.Logging)
        {
            features.Add(MucNs.Mam);
            features.Add(MucNs.StanzaId);
        }

        if (OffersModeration)
        {
            // XEP-0425 §2; the 0.2 feature too, as Prosody advertises both, for clients that only know that version.
            features.Add(MucNs.Moderate);
            features.Add(MucNs.ModerateLegacy);
        }

        foreach (var feature in features)
        {
            result.AddChild("feature").SetAttribute("var", feature);
        }

        // §15.5.4: the room information form.
        var form = DataForm.Create("result", MucNs.RoomInfo);
        DataForm.Field(form, "muc#roominfo_description", "text-single", "Description", Config.Description);
        DataForm.Field(form, "muc#roominfo_subject", "text-single", "Subject", Subject ?? string.Empty);
        DataForm.Field(form, "muc#roominfo_changesubject", "Occupants may change the subject", Config.ChangeSubject);
        DataForm.Field(form, "muc#roominfo_occupants", "text-single", "Number of occupants", _byNick.Count.ToString(CultureInfo.InvariantCulture));
        DataForm.Field(form, "muc#roomconfig_roomname", "text-single", "Name", Config.Name);
        result.Add(form);
        return result;
    }

    /// <summary>§6.5: the occupants' room JIDs, in a public room; a hidden room does not reveal who is in it.</summary>
    private Element DiscoItems(Element query, Jid from)
    {
        if (query.GetAttribute("node") is not null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        }

        var result = new Element("query", MucNs.DiscoItems);
        if (Config.Public || FindOccupant(from) is not null)
        {
            foreach (var o in _byNick.Values.OrderBy(o => o.Nick, StringComparer.Ordinal))
            {
                result.AddChild("item").SetAttribute("jid", o.RoomJid.ToString());
            }
        }

        return result;
    }
}
