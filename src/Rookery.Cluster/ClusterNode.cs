using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rookery.Cluster.Links;
using Rookery.Cluster.Membership;
using Rookery.Cluster.RemoteRoutes;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Transport;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Cluster;

/// <summary>
/// This node's part in the cluster: it joins the PostgreSQL registry (<see cref="ClusterMembership"/>), listens for and
/// dials node links, keeps the session table cluster-wide (<see cref="SessionReplicator"/>), delivers the stanzas peers
/// forward and acknowledges them, re-routes what a dead peer never acknowledged, announces a dead peer's sessions as
/// unavailable (on the one survivor that declared it dead), and drains: no new logins, clients sent to a live node,
/// then it leaves. A node without its database takes no logins until it is back.
/// </summary>
public sealed partial class ClusterNode : IMembershipListener, IAsyncDisposable
{
    private readonly ClusterOptions _options;
    private readonly ClusterEnvironment _environment;
    private readonly SessionTable _table;
    private readonly Router _router;
    private readonly IRosterStore _rosters;
    private readonly LoginGate _gate;
    private readonly ClientConnections _connections;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClusterRegistry _registry;
    private readonly ClusterMembership _membership;
    private readonly SessionReplicator _replicator;
    private readonly SessionMigration _migration;
    private readonly ComponentRegistry _componentRegistry;
    private readonly ComponentReplicator _components;
    private readonly S2sRouteReplicator _s2sRoutes;
    private readonly AccountChanges _accountChanges;
    private readonly LinkEstablisher _links;
    private readonly LinkWritePacer? _pacer;
    private readonly LinkTls? _tls;
    private readonly List<SeedNode> _seeds;
    private readonly ConcurrentDictionary<long, PeerConnection> _peers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly NodeRecord _self;
    private readonly SemaphoreSlim _drainOnce = new(1, 1);
    // Completed once the node is registered and its first registry round listed the live peers.
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private volatile bool _draining;
    private bool _left;

    /// <summary>Creates the cluster part of a node; nothing happens until <see cref="StartAsync"/>.</summary>
    public ClusterNode(
        ClusterOptions options,
        ClusterEnvironment environment,
        SessionTable table,
        SessionLifecycle lifecycle,
        Router router,
        IRosterStore rosters,
        LoginGate gate,
        ClientConnections connections,
        IHostApplicationLifetime lifetime,
        TimeProvider time,
        ILoggerFactory loggers,
        ComponentRegistry components,
        S2SManager s2s,
        AccountChanges accountChanges)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options;
        _environment = environment;
        _table = table;
        _router = router;
        _rosters = rosters;
        _gate = gate;
        _connections = connections;
        _lifetime = lifetime;
        _time = time;
        _logger = loggers.CreateLogger("Rookery.Cluster");
        _registry = new ClusterRegistry(environment.ConnectionString, environment.Schema);
        var host = options.AdvertisedAddress.Length > 0 ? options.AdvertisedAddress : Dns.GetHostName();
        _self = new NodeRecord
        {
            Name = options.NodeName.Length > 0 ? options.NodeName : $"{Dns.GetHostName()}:{options.Port}",
            Host = host,
            ClusterPort = options.Port,
            ClientPort = environment.ClientPort,
            Version = environment.Version,
            ProtocolVersion = LinkHandshake.ProtocolVersion,
        };
        _membership = new ClusterMembership(_registry, options, _self, time, _logger);
        _replicator = new SessionReplicator(table, lifecycle, () => (IReadOnlyCollection<PeerConnection>)_peers.Values, () => _membership.NodeId, time, _logger);
        // XEP-0198 across nodes: resumption ids name this node and verify on every node (one key from the secret).
        _migration = new SessionMigration(table, lifecycle, _replicator, id => _peers.GetValueOrDefault(id), options.FailureTimeout, options.MaxTaskTime, time, _logger);
        lifecycle.Tokens.UseCluster(options.Secret, () => _membership.NodeId);
        lifecycle.Remote = _migration;
        _componentRegistry = components;
        _components = new ComponentReplicator(components, router, () => (IReadOnlyCollection<PeerConnection>)_peers.Values, _logger);
        // Outgoing s2s streams are announced cluster-wide; a stanza for a pair another node serves goes there in one hop.
        _s2sRoutes = new S2sRouteReplicator(s2s, () => (IReadOnlyCollection<PeerConnection>)_peers.Values, id => _peers.GetValueOrDefault(id), _logger);
        // Modules' cached per-account state (block lists) is dropped on every node when it changes on one.
        _accountChanges = accountChanges;
        accountChanges.Transport = BroadcastAccountChange;
        _tls = LinkTls.Create(options.Tls);
        _seeds = [.. options.SeedNodes.Select(s => SeedNode.TryParse(s, out var seed) ? seed : throw new ArgumentException($"'Cluster:SeedNodes' entry '{s}' is not host:port or name=host:port", nameof(options)))];
        _pacer = options.LinkWriteInterval > TimeSpan.Zero ? new LinkWritePacer(options.LinkWriteInterval) : null;
        _links = new LinkEstablisher(LinkHandshake.Key(options.Secret), options.MaxLinkQueue + 1000, TimeSpan.FromSeconds(10), _logger, _tls, _pacer);
    }

    /// <summary>This node's id in the registry.</summary>
    public long NodeId => _membership.NodeId;

    /// <summary>This node's name.</summary>
    public string Name => _self.Name;

    /// <summary>The bound link port (useful when <see cref="ClusterOptions.Port"/> is 0).</summary>
    public int LinkPort { get; private set; }

    int IMembershipListener.LocalSessionCount => _replicator.LocalCount;

    string IMembershipListener.LinkSummary =>
        string.Join(',', _peers.Values.OrderBy(p => p.PeerId).Select(p => p.Name + "=" + (p.Link is { IsClosed: false } ? "up" : "down")));

    /// <summary>
    /// Opens the link listener, registers in the registry, starts replicating the session table, and opens the login
    /// gate; called before the client listeners open.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _gate.Close("The node is joining the cluster", null);
        var address = _options.Address is "*" or "any" ? IPAddress.IPv6Any : IPAddress.Parse(_options.Address);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.Equals(IPAddress.IPv6Any))
        {
            listener.DualMode = true;
        }

        listener.Bind(new IPEndPoint(address, _options.Port));
        listener.Listen(128);
        _listener = listener;
        LinkPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _table.Observer = _replicator;
        await _membership.StartAsync(this, ct).ConfigureAwait(false);
        _joined.TrySetResult();
        // Component instance names must be unique cluster-wide (balancing orders and hashes them alike on every node):
        // the node name plus this start's registry id, set before the component listener opens.
        _componentRegistry.NodeName = $"{_self.Name}#{_membership.NodeId}";
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        await _membership.MarkAliveAsync(ct).ConfigureAwait(false);
        _gate.Open();
    }

    /// <summary>
    /// Drains and leaves: the registry says <c>draining</c>, new logins are refused, every client is sent to a live
    /// node with <c>see-other-host</c> (RFC 6120 §4.9.3.19), forwarded stanzas get their acknowledgements, then the
    /// node records that it left and closes its links. Runs once; SIGTERM and <c>rookery cluster drain</c> both end here.
    /// </summary>
    public async Task LeaveAsync(CancellationToken ct)
    {
        await _drainOnce.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_left)
            {
                return;
            }

            _draining = true;
            try
            {
                await _membership.MarkDrainingAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or IOException or SocketException or TimeoutException)
            {
                Log.DrainWithoutDatabase(_logger, e);
            }

            var target = _membership.Peers.FirstOrDefault(p => p.State == NodeStates.Alive);
            _gate.Close("This node is leaving the cluster", target?.ClientAddress);
            if (target is not null)
            {
                Log.Draining(_logger, _connections.Count, target.Name, target.ClientAddress);
                await _connections.RedirectAllAsync(target.ClientAddress, _options.MaxTaskTime, ct).ConfigureAwait(false);
            }

            // What the leaving sessions and their unavailable presence sent to peers should be acknowledged before the
            // links close; whatever is not is re-routed by the peers' own rules once they see this node leave.
            var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
            while (_peers.Values.Any(p => p.UnackedCount > 0 && p.Link is not null) && _time.GetUtcNow() < deadline)
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }

            await _membership.StopAsync(leave: true, ct).ConfigureAwait(false);
            _left = true;
            await StopLinksAsync().ConfigureAwait(false);
        }
        finally
        {
            _drainOnce.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_left)
        {
            await _membership.StopAsync(leave: false, CancellationToken.None).ConfigureAwait(false);
            await StopLinksAsync().ConfigureAwait(false);
        }

        await _membership.DisposeAsync().ConfigureAwait(false);
        await _registry.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _drainOnce.Dispose();
        _tls?.Dispose();
        _pacer?.Dispose(); // after the links: none schedules a write any more
    }

    private async Task StopLinksAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        foreach (var peer in _peers.Values)
        {
            peer.Link?.Abort();
        }
    }

    void IMembershipListener.PeersChanged(IReadOnlyList<NodeRecord> live)
    {
        foreach (var record in live)
        {
            var peer = _peers.GetOrAdd(record.NodeId, id => new PeerConnection(id, _options.MaxLinkQueue));
            peer.Record = record;
            // One link per pair: the node with the smaller id dials (docs/dev/cluster.md).
            if (_membership.NodeId < record.NodeId && !peer.Dialling && !_stopping.IsCancellationRequested)
            {
                peer.Dialling = true;
                _ = Task.Run(() => DialLoopAsync(peer), CancellationToken.None);
            }

            if (peer.Link is { } link)
            {
                // A link that has heard nothing, not even a pong, for the failure timeout is dead: drop it, and the
                // dialler reconnects (stanzas are re-sent, sessions synced again).
                if (link.IdleMilliseconds > _options.FailureTimeout.TotalMilliseconds)
                {
                    Log.LinkSilent(_logger, peer.Name);
                    link.Abort();
                }
                else
                {
                    link.TryEnqueue(Frame.Empty(FrameType.Ping));
                }
            }
        }
    }

    async Task IMembershipListener.PeerGoneAsync(NodeRecord peer, bool purge)
    {
        if (!_peers.TryRemove(peer.NodeId, out var connection))
        {
            return;
        }

        var (unacked, sessions) = connection.Close();
        _replicator.Drop(sessions);
        _components.Drop(peer.NodeId);
        _s2sRoutes.Drop(peer.NodeId);
        Log.PeerPurged(_logger, peer.Name, sessions.Count, unacked.Count);
        if (purge)
        {
            await AnnounceUnavailableAsync(sessions).ConfigureAwait(false);
        }

        // Stanzas for MUC rooms wait for the rooms' takeover (off this loop), then go to the rooms' new hosts.
        StartMucTakeover(peer.NodeId, unacked);
        foreach (var pending in unacked)
        {
            if (pending.Frame.Type != FrameType.MucStanza)
            {
                await RerouteAsync(pending).ConfigureAwait(false);
            }
        }

        await _migration.PeerGoneAsync(connection).ConfigureAwait(false);
    }

    void IMembershipListener.DrainRequested()
    {
        Log.DrainRequested(_logger);
        _ = Task.Run(async () =>
        {
            try
            {
                await LeaveAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.DrainFailed(_logger, e);
            }

            // `rookery cluster drain` asks the node to go: once its clients are elsewhere, the process ends.
            _lifetime.StopApplication();
        });
    }

    void IMembershipListener.DatabaseLost()
    {
        // Without the registry this node cannot know who is alive or whether it was declared dead: it must not serve
        // a stale view to new clients (docs/dev/cluster.md, Membership 4).
        var other = _membership.Peers.FirstOrDefault(p => p.State == NodeStates.Alive);
        _gate.Close("This node lost its cluster database", other?.ClientAddress);
    }

    void IMembershipListener.DatabaseRestored()
    {
        // The storage pool still holds the connections the outage killed: without this the first logins fail on them.
        _environment.ClearStoragePool?.Invoke();
        if (!_draining)
        {
            _gate.Open();
        }
    }

    async Task IMembershipListener.DeclaredDeadAsync()
    {
        // Our rooms were taken over by the survivors: a room must never exist twice.
        MucRooms?.LostPlace();
        // The survivors purged our sessions and told their contacts they went offline: end them here too, so that the
        // clients log in again (here or elsewhere) and become visible. Links to peers start again with the new id.
        foreach (var id in _peers.Keys.ToList())
        {
            if (_peers.TryRemove(id, out var peer))
            {
                var (unacked, sessions) = peer.Close();
                _replicator.Drop(sessions);
                StartMucTakeover(id, unacked);
                _components.Drop(id);
                _s2sRoutes.Drop(id);
                foreach (var pending in unacked)
                {
                    if (pending.Frame.Type != FrameType.MucStanza)
                    {
                        await RerouteAsync(pending).ConfigureAwait(false);
                    }
                }
            }
        }

        foreach (var session in _table.All().OfType<ClientSession>().ToList())
        {
            session.Close(StreamErrorCondition.Reset, "This node lost its place in the cluster; log in again");
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = Task.Run(async () =>
            {
                var link = await _links.AcceptAsync(socket, _membership.NodeId, _self.Name, IsKnownPeer, _stopping.Token).ConfigureAwait(false);
                if (link is not null && _peers.TryGetValue(link.PeerId, out var peer))
                {
                    await RunLinkAsync(peer, link).ConfigureAwait(false);
                }
                else
                {
                    link?.Abort();
                }
            }, CancellationToken.None);
        }
    }

    private bool IsKnownPeer(long id)
    {
        if (_peers.TryGetValue(id, out var peer) && !peer.IsGone)
        {
            return true;
        }

        _membership.Wake();
        return false;
    }

    private async Task DialLoopAsync(PeerConnection peer)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        try
        {
            while (!peer.IsGone && !_stopping.IsCancellationRequested)
            {
                var link = await DialAnyAsync(peer).ConfigureAwait(false);
                if (link is not null)
                {
                    backoff = TimeSpan.FromMilliseconds(100);
                    await RunLinkAsync(peer, link).ConfigureAwait(false);
                    if (peer.IsGone || _stopping.IsCancellationRequested)
                    {
                        return;
                    }
                }

                // Exponential backoff, capped below the failure timeout so that a link is back before anyone gives up.
                await Task.Delay(backoff, _time, _stopping.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Math.Min(TimeSpan.FromSeconds(5).Ticks, _options.FailureTimeout.Ticks / 2)));
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            peer.Dialling = false;
        }
    }

    /// <summary>Dials the peer at each address of <see cref="SeedNode.DialOrder"/> in turn; the first link wins.</summary>
    private async Task<NodeLink?> DialAnyAsync(PeerConnection peer)
    {
        foreach (var (host, port) in SeedNode.DialOrder(peer.Record!, _seeds))
        {
            var link = await _links.DialAsync(host, port, _membership.NodeId, _self.Name, peer.PeerId, _stopping.Token).ConfigureAwait(false);
            if (link is not null || peer.IsGone || _stopping.IsCancellationRequested)
            {
                return link;
            }
        }

        return null;
    }

    private async Task RunLinkAsync(PeerConnection peer, NodeLink link)
    {
        if (!peer.Attach(link, _replicator.Snapshot(), _components.Snapshot))
        {
            link.Abort();
            return;
        }

        Log.LinkUp(_logger, peer.Name, link.Dialled ? "dialled" : "accepted", link.Protocol);
        try
        {
            await link.RunAsync((l, frame) => OnFrameAsync(peer, l, frame)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A bug in handling a frame: the link ends (and is set up again), the cause is reported.
            Log.LinkFailed(_logger, e, peer.Name);
        }

        peer.Detach(link);
        if (!peer.IsGone && !_stopping.IsCancellationRequested)
        {
            Log.LinkDown(_logger, peer.Name);
        }
    }

    private async ValueTask OnFrameAsync(PeerConnection peer, NodeLink link, Frame frame)
    {
        try
        {
            switch (frame.Type)
            {
                case FrameType.Stanza:
                    await OnStanzaAsync(peer, link, frame).ConfigureAwait(false);
                    break;
                case FrameType.Ack:
                    peer.Acknowledge(new PayloadReader(frame.Payload.Span).Int64());
                    break;
                case FrameType.SessionUp:
                    await _replicator.OnSessionUpAsync(peer, frame).ConfigureAwait(false);
                    break;
                case FrameType.SessionDown:
                    _replicator.OnSessionDown(peer, frame);
                    break;
                case FrameType.SyncBegin:
                    OnSyncBegin(peer, link, frame);
                    break;
                case FrameType.SyncEnd:
                    _replicator.OnSyncEnd(peer);
                    _components.OnSyncEnd(peer);
                    break;
                case FrameType.ComponentUp:
                    _components.OnUp(peer, frame);
                    break;
                case FrameType.ComponentDown:
                    _components.OnDown(peer, frame);
                    break;
                case FrameType.ComponentStanza:
                    await OnComponentStanzaAsync(peer, link, frame).ConfigureAwait(false);
                    break;
                case FrameType.CloseSession:
                    await _replicator.OnCloseSessionAsync(peer, frame).ConfigureAwait(false);
                    break;
                case FrameType.MucStanza:
                    await OnMucStanzaAsync(peer, link, frame).ConfigureAwait(false);
                    break;
                case FrameType.S2sRoutes:
                    _s2sRoutes.OnFull(peer, frame);
                    break;
                case FrameType.S2sRouteUp:
                    _s2sRoutes.OnDelta(peer, frame, up: true);
                    break;
                case FrameType.S2sRouteDown:
                    _s2sRoutes.OnDelta(peer, frame, up: false);
                    break;
                case FrameType.S2sStanza:
                    await OnS2sStanzaAsync(peer, link, frame).ConfigureAwait(false);
                    break;
                case FrameType.ResumeRequest:
                    await _migration.OnRequestAsync(peer, frame).ConfigureAwait(false);
                    break;
                case FrameType.ResumeState:
                    await _migration.OnStateAsync(peer, frame).ConfigureAwait(false);
                    break;
                case FrameType.ResumeRefused:
                    _migration.OnRefused(peer, frame);
                    break;
                case FrameType.ResumeAck:
                    _migration.OnAck(peer, frame);
                    break;
                case FrameType.AccountChange:
                    OnAccountChange(frame);
                    break;
                case FrameType.Ping:
                    link.TryEnqueue(Frame.Empty(FrameType.Pong));
                    break;
                case FrameType.Pong:
                    break;
                default:
                    throw new InvalidDataException($"Unexpected {frame.Type} frame after the handshake");
            }
        }
        catch (FormatException e)
        {
            // A frame whose content does not parse is the peer's bug; the link stays, the frame is reported.
            Log.BadFrame(_logger, e, frame.Type, peer.Name);
        }
    }

    /// <summary>Sends ACCOUNT_CHANGE to every peer that understands it (an older node would end the link on it).</summary>
    private void BroadcastAccountChange(string topic, Jid account, string detail)
    {
        var frame = new PayloadWriter().String(topic).String(account.ToString()).String(detail).ToFrame(FrameType.AccountChange);
        foreach (var peer in _peers.Values)
        {
            if ((peer.Capabilities & LinkCapabilities.AccountChanges) != 0)
            {
                peer.SendControl(frame);
            }
        }
    }

    private void OnAccountChange(Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var (topic, account, detail) = (reader.String(), reader.String(), reader.String());
        if (!Jid.TryParse(account, out var jid))
        {
            throw new FormatException($"ACCOUNT_CHANGE names '{account}', not a JID");
        }

        _accountChanges.Deliver(topic, jid, detail);
    }

    /// <summary>
    /// The peer's full sync starts. Newer peers list their optional link features in it (an older one sends an empty
    /// payload): the rest of our own sync, which waited for them, goes out now, and stanzas that waited for a peer that
    /// turns out not to understand their frame are routed again from here, as if that peer had no such route.
    /// </summary>
    private void OnSyncBegin(PeerConnection peer, NodeLink link, Frame frame)
    {
        var payload = new PayloadReader(frame.Payload.Span);
        var capabilities = payload.HasMore ? (LinkCapabilities)payload.Int32() : LinkCapabilities.None;
        link.CoalesceAcks = (capabilities & LinkCapabilities.CumulativeAck) != 0;
        if ((capabilities & LinkCapabilities.DelayedAck) != 0 && payload.HasMore)
        {
            // The peer keeps at most this many stanzas unacknowledged: our delayed ACKs come before it has to refuse one.
            link.UseDelayedAcks(payload.Int32());
        }

        var refused = peer.OnSyncBegin(link, capabilities, _components.Snapshot);
        peer.BeginSync();
        _components.OnSyncBegin(peer);
        _s2sRoutes.OnSyncBegin(peer);
        // While there was no link to this peer, changes it made may never have reached us.
        _accountChanges.DeliverEverythingChanged();
        if (refused.Count > 0)
        {
            Log.RefusedByCapabilities(_logger, refused.Count, peer.Name, capabilities);
            // Off the link's reader: routing a room stanza again may read the room's claim from the database.
            _ = Task.Run(async () =>
            {
                foreach (var pending in refused)
                {
                    if (pending.Frame.Type == FrameType.MucStanza && SequencedStanzaFrame.Read(pending.Frame) is { } stanza)
                    {
                        await _router.RouteAsync(stanza).ConfigureAwait(false);
                    }
                    else
                    {
                        await RerouteAsync(pending).ConfigureAwait(false);
                    }
                }
            });
        }
    }

    /// <summary>
    /// Delivers a forwarded stanza to the local session it names. If that session is gone meanwhile, the stanza goes
    /// through the router again from here (another resource, offline storage, or a bounce), so it is never lost; then
    /// it is acknowledged, once it is in a client's queue or handled by the router.
    /// </summary>
    private async ValueTask OnStanzaAsync(PeerConnection peer, NodeLink link, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var sequence = reader.Int64();
        var targetField = reader.Field();
        var xml = reader.Field();
        if (sequence > peer.LastSequenceIn)
        {
            var element = link.ForwardedStanzas.Parse(frame.Payload[xml]);
            var delivered = link.Targets.TryResolve(frame.Payload.Span[targetField], out var target) &&
                _table.Find(target) is ILocalClientSession local && local.Send(element);
            if (!delivered)
            {
                await RouteAgainAsync(element, redirected: false).ConfigureAwait(false);
            }

            peer.LastSequenceIn = sequence;
        }

        // A sequence number already handled came again on a new link: acknowledge it again, deliver nothing.
        link.QueueAck(sequence);
    }

    /// <summary>
    /// Delivers a forwarded stanza to the local component instance it names, or routes it again from here when that
    /// instance is gone (another instance, or the domain's error); then acknowledges it, as session stanzas are.
    /// </summary>
    private async ValueTask OnComponentStanzaAsync(PeerConnection peer, NodeLink link, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var sequence = reader.Int64();
        var domain = reader.String();
        var instance = reader.String();
        var xml = reader.String();
        if (sequence > peer.LastSequenceIn)
        {
            await _components.DeliverAsync(domain, instance, xml).ConfigureAwait(false);
            peer.LastSequenceIn = sequence;
        }

        link.QueueAck(sequence);
    }

    /// <summary>
    /// A stanza for a remote domain forwarded to this node's outgoing s2s stream: sent (or bounced) from here, then
    /// acknowledged; a sequence number seen before is only acknowledged again.
    /// </summary>
    private async ValueTask OnS2sStanzaAsync(PeerConnection peer, NodeLink link, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var sequence = reader.Int64();
        var from = reader.String();
        var to = reader.String();
        var xml = reader.String();
        if (sequence > peer.LastSequenceIn)
        {
            await _s2sRoutes.DeliverAsync(from, to, xml).ConfigureAwait(false);
            peer.LastSequenceIn = sequence;
        }

        link.QueueAck(sequence);
    }

    private ValueTask RerouteAsync(PendingStanza pending)
    {
        Element element;
        try
        {
            element = StoredStanza.Parse(pending.Xml);
        }
        catch (FormatException)
        {
            return ValueTask.CompletedTask; // we serialised it ourselves; unreachable
        }

        if (pending.Frame.Type == FrameType.S2sStanza)
        {
            // The node owning the stream died: its route is purged, so this opens a stream here (or uses another node's).
            return SequencedStanzaFrame.Read(pending.Frame) is { } s2sStanza ? _router.RouteAsync(s2sStanza) : ValueTask.CompletedTask;
        }

        if (pending.Frame.Type == FrameType.ComponentStanza)
        {
            // Its instance went with the dead node: re-balanced onto the others, or bounced for a fixed bucket (issue #5).
            return _components.RouteAgainAsync(element);
        }

        return RouteAgainAsync(element, redirected: true);
    }

    /// <summary>
    /// Routes a stanza again from this node by its own addresses. For a stanza that a dead peer never acknowledged, the
    /// rules of XEP-0198 §5 for unacknowledged stanzas apply: a message is routed again (another resource or offline
    /// storage, RFC 6121 §8.5.3.2.1), an iq request gets <c>recipient-unavailable</c>, presence is obsolete.
    /// </summary>
    private async ValueTask RouteAgainAsync(Element element, bool redirected)
    {
        if (element.GetAttribute("from") is not { } fromText || !Jid.TryParse(fromText, out var from) ||
            element.GetAttribute("to") is not { } toText || !Jid.TryParse(toText, out var to))
        {
            return;
        }

        var stanza = new Stanza(element, from, to);
        if (!redirected)
        {
            await _router.RouteAsync(stanza).ConfigureAwait(false);
            return;
        }

        switch (element.Name)
        {
            case "message" when element.GetAttribute("type") != "error":
                // The dead node's resource may never have seen it: chat and normal go by the bare-JID rules.
                await _router.RouteAsync(new Stanza(element, from, RedeliveryTarget.For(element, to))).ConfigureAwait(false);
                break;
            case "iq" when element.GetAttribute("type") is "get" or "set":
                await _router.BounceAsync(stanza, StanzaErrorCondition.RecipientUnavailable).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// RFC 6121 §4.5.2 on behalf of a dead node: its available sessions go unavailable for their contacts (those with a
    /// 'from' subscription) and for the account's other resources. Done once, by the node that declared it dead.
    /// </summary>
    private async Task AnnounceUnavailableAsync(List<RemoteSession> sessions)
    {
        foreach (var session in sessions)
        {
            if (!session.IsAvailable)
            {
                continue;
            }

            var owner = session.Jid.Bare;
            try
            {
                var roster = await _rosters.GetAsync(owner.ToString()).ConfigureAwait(false);
                foreach (var item in roster.Items)
                {
                    if ((item.Subscription & Subscription.From) != 0 && Jid.TryParse(item.Contact, out var contact))
                    {
                        await _router.RouteAsync(Unavailable(session.Jid, contact), session.Jid, contact).ConfigureAwait(false);
                    }
                }

                foreach (var other in _table.Sessions(owner))
                {
                    if (other.IsAvailable)
                    {
                        var presence = Unavailable(session.Jid, other.Jid);
                        other.Send(presence);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.UnavailableFailed(_logger, e, session.Jid);
            }
        }
    }

    private static Element Unavailable(Jid from, Jid to) =>
        new Element("presence", Ns.Client).SetAttribute("type", "unavailable").SetAttribute("from", from.ToString()).SetAttribute("to", to.ToString());

    private static partial class Log
    {
        [LoggerMessage(EventId = 4040, Level = LogLevel.Information, Message = "Cluster link to {Peer} is up ({Direction}, protocol {Protocol})")]
        public static partial void LinkUp(ILogger logger, string peer, string direction, int protocol);

        [LoggerMessage(EventId = 4041, Level = LogLevel.Information, Message = "Cluster link to {Peer} is down; reconnecting")]
        public static partial void LinkDown(ILogger logger, string peer);

        [LoggerMessage(EventId = 4042, Level = LogLevel.Warning, Message = "Cluster link to {Peer} has been silent too long; closing it")]
        public static partial void LinkSilent(ILogger logger, string peer);

        [LoggerMessage(EventId = 4043, Level = LogLevel.Information, Message = "Purged {Peer}: {Sessions} sessions dropped, {Unacked} unacknowledged stanzas routed again")]
        public static partial void PeerPurged(ILogger logger, string peer, int sessions, int unacked);

        [LoggerMessage(EventId = 4044, Level = LogLevel.Warning, Message = "A malformed {Type} frame from {Peer} was ignored")]
        public static partial void BadFrame(ILogger logger, Exception e, FrameType type, string peer);

        [LoggerMessage(EventId = 4045, Level = LogLevel.Warning, Message = "Announcing {Jid} unavailable failed")]
        public static partial void UnavailableFailed(ILogger logger, Exception e, Jid jid);

        [LoggerMessage(EventId = 4046, Level = LogLevel.Information, Message = "Draining: sending {Count} clients to {Peer} ({Address})")]
        public static partial void Draining(ILogger logger, int count, string peer, string address);

        [LoggerMessage(EventId = 4047, Level = LogLevel.Information, Message = "This node was asked to drain")]
        public static partial void DrainRequested(ILogger logger);

        [LoggerMessage(EventId = 4048, Level = LogLevel.Error, Message = "Draining failed")]
        public static partial void DrainFailed(ILogger logger, Exception e);

        [LoggerMessage(EventId = 4049, Level = LogLevel.Warning, Message = "Draining without the database: the registry will learn through the lock")]
        public static partial void DrainWithoutDatabase(ILogger logger, Exception e);

        [LoggerMessage(EventId = 4050, Level = LogLevel.Error, Message = "The cluster link to {Peer} failed")]
        public static partial void LinkFailed(ILogger logger, Exception e, string peer);

        [LoggerMessage(EventId = 4550, Level = LogLevel.Information, Message = "{Count} stanzas waiting for {Peer} are routed again: it announced only {Capabilities}")]
        public static partial void RefusedByCapabilities(ILogger logger, int count, string peer, LinkCapabilities capabilities);

        // Next free EventId: 4051 (4550-4579: the robust branch's)
    }
}
