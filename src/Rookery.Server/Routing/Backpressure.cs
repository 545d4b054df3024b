namespace Rookery.Server.Routing;

/// <summary>
/// The congested destination (<see cref="ICongestible"/>) of the stanza the current thread is routing. Routing is
/// synchronous on the sender's read loop up to the destination's queue, so a thread-static is enough and costs the hot
/// path one field access; a destination reached after an await (storage) is simply not seen, and readers that do not
/// pause (node links, components, S2S streams) leave their notes for the next client stream on the thread to discard.
/// </summary>
public static class Backpressure
{
    [ThreadStatic]
    private static ICongestible? t_congested;

    /// <summary>Called by a destination that a stanza routed on this thread found congested.</summary>
    public static void Note(ICongestible destination) => t_congested = destination;

    /// <summary>The destination noted since the last call, or null; the note is cleared.</summary>
    public static ICongestible? Take()
    {
        var destination = t_congested;
        if (destination is not null)
        {
            t_congested = null;
        }

        return destination;
    }
}
