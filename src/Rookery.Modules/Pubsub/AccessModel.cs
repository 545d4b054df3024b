namespace Rookery.Modules.Pubsub;

/// <summary>Who may subscribe to a node and retrieve its items (XEP-0060 §4.5), of the models this service implements.</summary>
public enum AccessModel
{
    /// <summary>Anyone who is not an outcast; the default.</summary>
    Open,

    /// <summary>Only entities affiliated as member, publisher or owner.</summary>
    Whitelist,

    /// <summary>Entities subscribed to an owner's presence (an owner's roster item with subscription from or both).</summary>
    Presence,

    /// <summary>Entities in one of the node's pubsub#roster_groups_allowed in an owner's roster.</summary>
    Roster,

    /// <summary>Entities whose subscription an owner approved; a subscription request waits, pending, until then.</summary>
    Authorize,
}
