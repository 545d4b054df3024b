namespace Rookery.Modules.Pubsub;

/// <summary>An entity's affiliation with a node (XEP-0060 §4.1), ordered from the least to the most privileged.</summary>
public enum Affiliation
{
    /// <summary>Banned: may neither subscribe, retrieve nor publish.</summary>
    Outcast,

    /// <summary>No affiliation.</summary>
    None,

    /// <summary>May subscribe and retrieve items, also on whitelist nodes.</summary>
    Member,

    /// <summary>May publish and retract its own items, and nothing else.</summary>
    PublishOnly,

    /// <summary>May subscribe, retrieve, publish and retract any item.</summary>
    Publisher,

    /// <summary>May do everything, including configuring and deleting the node.</summary>
    Owner,
}
