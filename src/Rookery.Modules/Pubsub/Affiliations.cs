namespace Rookery.Modules.Pubsub;

/// <summary>The XEP-0060 names of <see cref="Affiliation"/> values, as they appear in stanzas and in storage.</summary>
public static class Affiliations
{
    /// <summary>The affiliation's name (§4.1): <c>owner</c>, <c>publisher</c>, <c>publish-only</c>, <c>member</c>, <c>none</c> or <c>outcast</c>.</summary>
    public static string Name(Affiliation affiliation) => affiliation switch
    {
        Affiliation.Owner => "owner",
        Affiliation.Publisher => "publisher",
        Affiliation.PublishOnly => "publish-only",
        Affiliation.Member => "member",
        Affiliation.Outcast => "outcast",
        _ => "none",
    };

    /// <summary>Reads an affiliation name; false for anything XEP-0060 does not define.</summary>
    public static bool TryParse(string? name, out Affiliation affiliation)
    {
        affiliation = name switch
        {
            "owner" => Affiliation.Owner,
            "publisher" => Affiliation.Publisher,
            "publish-only" => Affiliation.PublishOnly,
            "member" => Affiliation.Member,
            "none" => Affiliation.None,
            "outcast" => Affiliation.Outcast,
            _ => (Affiliation)(-1),
        };
        return Enum.IsDefined(affiliation);
    }
}
