namespace Rookery.Server.Components;

/// <summary>How the instances of one component domain share its stanzas (ejabberd's <c>domain_balancing</c>, seed 000).</summary>
public enum ComponentBalancing
{
    /// <summary>A random local instance when this node has one, otherwise a random remote one.</summary>
    Random,

    /// <summary>A hash of the full <c>to</c> JID picks the instance.</summary>
    Destination,

    /// <summary>A hash of the full <c>from</c> JID picks the instance.</summary>
    Source,

    /// <summary>A hash of the bare <c>to</c> JID picks the instance (every stanza for one room reaches one instance).</summary>
    BareDestination,

    /// <summary>A hash of the bare <c>from</c> JID picks the instance.</summary>
    BareSource,
}
