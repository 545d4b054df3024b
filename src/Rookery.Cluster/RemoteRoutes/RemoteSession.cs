using Rookery.Cluster.Links;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Cluster.RemoteRoutes;

/// <summary>
/// A client session bound on another node, as this node's session table sees it: its presence, priority and roster
/// interest are replicated from the owning node, and <see cref="Send"/> forwards the stanza over the link (one hop) to
/// be written to the client's stream there. The router, session manager and presence code treat it like a local one.
/// </summary>
public sealed class RemoteSession : IClientSession
{
    private readonly PeerConnection _peer;
    // The target field of every STANZA frame to this session, encoded once instead of per forwarded stanza.
    private readonly byte[] _jidUtf8;
    private volatile Element? _presence;
    private volatile int _priority;
    private volatile bool _interested;
    private volatile bool _carbons;
    private volatile bool _flexibleOffline;

    internal RemoteSession(Jid jid, long stamp, PeerConnection peer)
    {
        Jid = jid;
        Stamp = stamp;
        _peer = peer;
        _jidUtf8 = System.Text.Encoding.UTF8.GetBytes(jid.ToString());
    }

    /// <inheritdoc />
    public Jid Jid { get; }

    /// <summary>The link to the owning node.</summary>
    internal PeerConnection Peer => _peer;

    /// <summary>The owning node's id.</summary>
    public long NodeId => _peer.PeerId;

    /// <summary>When the owning node bound the session (a unique, increasing stamp): the newer of two same-JID sessions wins.</summary>
    public long Stamp { get; }

    /// <inheritdoc />
    public int Priority => _priority;

    /// <inheritdoc />
    public bool IsAvailable => _presence is not null;

    /// <inheritdoc />
    public Element? Presence => _presence;

    /// <inheritdoc />
    public bool IsInterested => _interested;

    /// <inheritdoc />
    public bool CarbonsEnabled => _carbons;

    /// <inheritdoc />
    public bool FlexibleOffline => _flexibleOffline;

    /// <inheritdoc />
    public bool Send(Element stanza)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        return _peer.SendStanza(Jid, _jidUtf8, stanza);
    }

    /// <inheritdoc />
    public void Close(StreamErrorCondition condition, string? text = null) =>
        _peer.SendControl(new PayloadWriter().String(Jid.ToString()).Int64(Stamp).String(condition.ToWireName()).String(text ?? string.Empty)
            .ToFrame(FrameType.CloseSession));

    internal void Update(Element? presence, int priority, bool interested, bool carbons, bool flexibleOffline)
    {
        _carbons = carbons;
        _flexibleOffline = flexibleOffline;
        _priority = priority;
        _presence = presence;
        _interested = interested;
    }
}
