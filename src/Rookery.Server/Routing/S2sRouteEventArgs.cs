namespace Rookery.Server.Routing;

/// <summary>An outgoing s2s stream of this node was verified or went away; the cluster announces it to the other nodes.</summary>
public sealed class S2sRouteEventArgs(string local, string remote) : EventArgs
{
    /// <summary>Our domain the stream sends from.</summary>
    public string Local { get; } = local;

    /// <summary>The remote domain the stream sends to.</summary>
    public string Remote { get; } = remote;
}
