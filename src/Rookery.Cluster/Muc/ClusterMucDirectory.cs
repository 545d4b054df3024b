using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Modules.Muc;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Cluster.Muc;

/// <summary>
/// Where each MUC room lives on the cluster (docs/dev/muc.md, "Rooms on a cluster"): the claim in storage
/// (<see cref="IMucClusterStore"/>, a compare-and-set insert, so a room never exists twice) cached in memory, forwarding
/// to the hosting node over the link, and the takeover of a gone node's rooms: the claims move in one conditional update
/// (one survivor gets each room), the rooms are re-created from storage with their occupants on live nodes.
/// </summary>
public sealed partial class ClusterMucDirectory : IMucRoomDirectory, IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly ClusterNode _node;
    private readonly IMucClusterStore _store;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Jid, long> _hosts = new();
    private readonly ConcurrentDictionary<string, MucService> _services = new(StringComparer.Ordinal);
    // Held while claims move and their rooms are re-created: a stanza that finds a claim of ours waits until the room is whole.
    private readonly SemaphoreSlim _takeover = new(1, 1);

    /// <summary>Creates the directory and hooks it into the node's peer-loss handling.</summary>
    public ClusterMucDirectory(ClusterNode node, IMucClusterStore store, ClusterOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(loggers);
        _node = node;
        _store = store;
        _options = options;
        _time = time;
        _logger = loggers.CreateLogger("Rookery.Cluster.Muc");
        node.MucRooms = this;
    }

    /// <inheritdoc />
    public long LocalNodeId => _node.NodeId;

    /// <inheritdoc />
    public void Attach(MucService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _services[service.Domain.Domain] = service;
    }

    /// <inheritdoc />
    public async ValueTask<long> LocateAsync(Jid room, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (_hosts.TryGetValue(room, out var cached) && _node.IsLiveNode(cached))
        {
            return cached;
        }

        // A holder this node does not know as live is either a peer not seen yet or a gone node whose rooms a survivor
        // is taking over: wait (bounded), and take the rooms over here once the registry says the holder is gone.
        var deadline = _time.GetUtcNow() + (_options.FailureTimeout * 3);
        while (true)
        {
            var holder = await _store.ClaimRoomAsync(room.ToString(), LocalNodeId, ct).ConfigureAwait(false);
            if (holder == LocalNodeId)
            {
                await _takeover.WaitAsync(ct).ConfigureAwait(false);
                _takeover.Release();
                _hosts[room] = holder;
                return holder;
            }

            if (_node.IsLiveNode(holder))
            {
                _hosts[room] = holder;
                return holder;
            }

            if (await _node.IsNodeGoneAsync(holder, ct).ConfigureAwait(false))
            {
                Log.StaleClaim(_logger, room, holder);
                await TakeOverAsync(holder, ct).ConfigureAwait(false);
                continue;
            }

            if (_time.GetUtcNow() > deadline)
            {
                return holder;
            }

            await Task.Delay(PollInterval, _time, ct).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public bool Forward(long nodeId, Element stanza, Jid sender, Jid recipient) => _node.ForwardMucStanza(nodeId, stanza, sender, recipient);

    /// <inheritdoc />
    public void Forget(Jid room) => _hosts.TryRemove(room, out _);

    /// <inheritdoc />
    public long NodeOf(Jid realJid) => _node.NodeOfSession(realJid);

    /// <inheritdoc />
    public bool IsLive(long nodeId) => _node.IsLiveNode(nodeId);

    /// <inheritdoc />
    public Task WaitForPeersAsync(CancellationToken ct = default) => _node.WaitForPeerSyncAsync(ct);

    /// <inheritdoc />
    public async Task RoomEndedAsync(Jid room, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        _hosts.TryRemove(room, out _);
        await _store.ReleaseRoomAsync(room.ToString(), LocalNodeId, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A peer is gone (dead or left): forget it as a host, take over whatever rooms it still holds (another survivor may
    /// have been first: then nothing moves), and remove its occupants from the rooms hosted here.
    /// </summary>
    internal async Task PeerLostAsync(long peerId, CancellationToken ct)
    {
        foreach (var (room, host) in _hosts)
        {
            if (host == peerId)
            {
                _hosts.TryRemove(new KeyValuePair<Jid, long>(room, host));
            }
        }

        var started = _time.GetTimestamp();
        var taken = await TakeOverAsync(peerId, ct).ConfigureAwait(false);
        foreach (var service in _services.Values)
        {
            await service.DropOccupantsOfNodeAsync(peerId, ct).ConfigureAwait(false);
        }

        if (taken > 0)
        {
            var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
            Log.TookOver(_logger, taken, peerId, milliseconds);
        }
    }

    /// <summary>This node was declared dead: the survivors host its rooms now, so they leave memory here.</summary>
    internal void LostPlace()
    {
        _hosts.Clear();
        foreach (var service in _services.Values)
        {
            service.DropAllRooms();
        }
    }

    /// <summary>Moves the gone node's claims here (all or nothing, one statement) and re-creates those rooms; returns how many.</summary>
    private async Task<int> TakeOverAsync(long goneNode, CancellationToken ct)
    {
        await _takeover.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var rooms = await _store.TakeOverRoomsAsync(goneNode, LocalNodeId, ct).ConfigureAwait(false);
            var byService = new Dictionary<MucService, List<Jid>>();
            foreach (var name in rooms)
            {
                if (!Jid.TryParse(name, out var room))
                {
                    continue;
                }

                _hosts[room] = LocalNodeId;
                if (_services.TryGetValue(room.Domain, out var service))
                {
                    if (!byService.TryGetValue(service, out var list))
                    {
                        byService[service] = list = [];
                    }

                    list.Add(room);
                }
                else
                {
                    // No such service here (configuration differs between nodes): give the claim back.
                    await RoomEndedAsync(room, ct).ConfigureAwait(false);
                }
            }

            foreach (var (service, list) in byService)
            {
                await service.TakeOverAsync(list, ct).ConfigureAwait(false);
            }

            return rooms.Count;
        }
        finally
        {
            _takeover.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _takeover.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 4531, Level = LogLevel.Information, Message = "Took over {Count} MUC rooms of node {NodeId} in {Milliseconds} ms")]
        public static partial void TookOver(ILogger logger, int count, long nodeId, double milliseconds);

        [LoggerMessage(EventId = 4532, Level = LogLevel.Information, Message = "Room {Room} is claimed by node {NodeId}, which is gone: taking its rooms over")]
        public static partial void StaleClaim(ILogger logger, Jid room, long nodeId);

        // Next free EventId: 4533 (4520-4549 are the MUC cluster's)
    }
}
