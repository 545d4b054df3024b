namespace Rookery.Server.Routing;

/// <summary>
/// A destination that can fall behind the senders routing to it: a client's outgoing queue, or a node link's stanzas
/// waiting for the peer's acknowledgement. A stanza routed to it while it is congested makes it note itself on the
/// routing thread (<see cref="Backpressure.Note"/>); the client stream whose stanza was being routed then stops reading
/// its socket until the destination has drained, for a few seconds at most, and TCP slows the sender down (as
/// ejabberd's shapers do) instead of the destination overflowing.
/// </summary>
public interface ICongestible
{
    /// <summary>Stanzas waiting at the destination (for the log line of a pause).</summary>
    int Backlog { get; }

    /// <summary>Completes once the destination has drained to its resume level, or ended.</summary>
    Task DrainedAsync();

    /// <summary>
    /// A sender's pause ran out while the destination had not drained: it has stopped taking stanzas, and senders are
    /// not paused for it again until it drains (its own limit deals with it meanwhile).
    /// </summary>
    void MarkStuck();
}
