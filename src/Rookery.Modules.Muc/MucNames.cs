namespace Rookery.Modules.Muc;

/// <summary>The wire names of roles and affiliations (XEP-0045 §5) and their parsing.</summary>
public static class MucNames
{
    /// <summary>The wire name of a role.</summary>
    public static string ToWireName(this MucRole role) => role switch
    {
        MucRole.Moderator => "moderator",
        MucRole.Participant => "participant",
        MucRole.Visitor => "visitor",
        _ => "none",
    };

    /// <summary>The wire name of an affiliation.</summary>
    public static string ToWireName(this MucAffiliation affiliation) => affiliation switch
    {
        MucAffiliation.Owner => "owner",
        MucAffiliation.Admin => "admin",
        MucAffiliation.Member => "member",
        MucAffiliation.Outcast => "outcast",
        _ => "none",
    };

    /// <summary>Parses a role name; false for anything else.</summary>
    public static bool TryParseRole(string? text, out MucRole role)
    {
        role = text switch
        {
            "moderator" => MucRole.Moderator,
            "participant" => MucRole.Participant,
            "visitor" => MucRole.Visitor,
            "none" => MucRole.None,
            _ => (MucRole)(-1),
        };
        return (int)role >= 0;
    }

    /// <summary>Parses an affiliation name; false for anything else.</summary>
    public static bool TryParseAffiliation(string? text, out MucAffiliation affiliation)
    {
        affiliation = text switch
        {
            "owner" => MucAffiliation.Owner,
            "admin" => MucAffiliation.Admin,
            "member" => MucAffiliation.Member,
            "outcast" => MucAffiliation.Outcast,
            "none" => MucAffiliation.None,
            _ => (MucAffiliation)(-1),
        };
        return (int)affiliation >= 0;
    }
}
