namespace Rookery.Modules.Pep;

/// <summary>What an account's own request did to one of its PEP nodes, as told to <see cref="PepNodeChangedHandler"/>.</summary>
public enum PepNodeChange
{
    /// <summary>An item was published (XEP-0060 §7.1).</summary>
    Published,

    /// <summary>An item was retracted (§7.2).</summary>
    Retracted,

    /// <summary>Every item was purged (§8.5).</summary>
    Purged,

    /// <summary>The node was deleted (§8.4).</summary>
    Deleted,
}
