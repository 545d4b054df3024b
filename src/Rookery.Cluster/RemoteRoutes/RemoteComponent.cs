using Rookery.Cluster.Links;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;

namespace Rookery.Cluster.RemoteRoutes;

/// <summary>
/// An external component instance connected to another node, as this node's <see cref="ComponentRegistry"/> sees it:
/// balancing treats it like a local one (same name, so the same hash score and bucket everywhere), and
/// <see cref="Send"/> forwards the stanza over the node link, acknowledged like a session stanza (issue #5).
/// </summary>
public sealed class RemoteComponent : IComponentInstance
{
    private readonly PeerConnection _peer;
    private readonly Action<Element> _overflow;

    internal RemoteComponent(string domain, string name, PeerConnection peer, Action<Element> overflow)
    {
        Domain = domain;
        Name = name;
        _peer = peer;
        _overflow = overflow;
    }

    /// <inheritdoc />
    public string Domain { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool IsLocal => false;

    /// <summary>The id of the node holding the component's connection.</summary>
    public long NodeId => _peer.PeerId;

    /// <inheritdoc />
    public bool Send(Element stanza)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        switch (_peer.SendComponentStanza(Domain, Name, stanza))
        {
            case ComponentForward.Queued:
                return true;
            case ComponentForward.Full:
                // The instance is alive but its node cannot take more now: answering here keeps every node's instance
                // set identical (returning false would make the balancer forget the instance on this node only).
                _overflow(stanza);
                return true;
            default:
                return false;
        }
    }
}
