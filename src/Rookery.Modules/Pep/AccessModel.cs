namespace Rookery.Modules.Pep;

/// <summary>Who may retrieve a node's items and receive its notifications (XEP-0060 §4.5).</summary>
public enum AccessModel
{
    /// <summary>Contacts with a presence subscription (from or both) to the owner; the PEP default (XEP-0163 §5).</summary>
    Presence,

    /// <summary>Anyone.</summary>
    Open,

    /// <summary>Contacts with a presence subscription who are in one of the allowed roster groups.</summary>
    Roster,

    /// <summary>The owner only (no other affiliations are kept): private data such as bookmarks (XEP-0402 §3).</summary>
    Whitelist,
}
