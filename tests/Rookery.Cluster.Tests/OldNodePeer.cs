using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Cluster.Links;
using Rookery.Cluster.Membership;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A peer that speaks the link protocol as a node built before the optional frames: it registers in the cluster's
/// registry like a node, accepts the real node's link, announces no capabilities (an empty SYNC_BEGIN), answers pings,
/// acknowledges stanzas, and records every frame type it receives, so a test can check it was never sent a frame an
/// old node would end the link on.
/// </summary>
internal sealed class OldNodePeer : IMembershipListener, IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly ClusterRegistry _registry;
    private readonly ClusterMembership _membership;
    private readonly LinkEstablisher _links;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<NodeLink> _linked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<NodeLink> _accepted = new();
    private Task _accept = Task.CompletedTask;

    private OldNodePeer(TestCluster cluster, string name)
    {
        Name = name;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(8);
        _registry = new ClusterRegistry(cluster.ConnectionString, cluster.Schema);
        var options = new ClusterOptions
        {
            Enabled = true,
            Secret = TestCluster.Secret,
            HeartbeatInterval = TimeSpan.FromMilliseconds(250),
            FailureTimeout = TestCluster.FailureTimeout,
        };
        var self = new NodeRecord
        {
            Name = name,
            Host = "127.0.0.1",
            ClusterPort = ((IPEndPoint)_listener.LocalEndPoint!).Port,
            Version = "old",
            ProtocolVersion = LinkHandshake.ProtocolVersion,
        };
        _membership = new ClusterMembership(_registry, options, self, TimeProvider.System, NullLogger.Instance);
        _links = new LinkEstablisher(LinkHandshake.Key(TestCluster.Secret), 10_000, TimeSpan.FromSeconds(10), NullLogger.Instance);
    }

    /// <summary>The name it registered with.</summary>
    public string Name { get; }

    /// <summary>Its node id in the registry.</summary>
    public long NodeId => _membership.NodeId;

    /// <summary>Every frame type received after the handshake, in order.</summary>
    public ConcurrentQueue<FrameType> Received { get; } = new();

    /// <summary>The link, once the real node dialled it.</summary>
    public Task<NodeLink> Linked => _linked.Task;

    int IMembershipListener.LocalSessionCount => 0;

    string IMembershipListener.LinkSummary => string.Empty;

    /// <summary>Registers, marks itself alive and waits for links.</summary>
    public static async Task<OldNodePeer> StartAsync(TestCluster cluster, string name)
    {
        var peer = new OldNodePeer(cluster, name);
        await peer._membership.StartAsync(peer, CancellationToken.None);
        peer._accept = Task.Run(peer.AcceptLoopAsync);
        await peer._membership.MarkAliveAsync(CancellationToken.None);
        return peer;
    }

    /// <summary>How many frames of <paramref name="type"/> arrived so far.</summary>
    public int Count(FrameType type) => Received.Count(t => t == type);

    void IMembershipListener.PeersChanged(IReadOnlyList<NodeRecord> live)
    {
    }

    Task IMembershipListener.PeerGoneAsync(NodeRecord peer, bool purge) => Task.CompletedTask;

    void IMembershipListener.DrainRequested()
    {
    }

    void IMembershipListener.DatabaseLost()
    {
    }

    void IMembershipListener.DatabaseRestored()
    {
    }

    Task IMembershipListener.DeclaredDeadAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        // Every link, not only the first: the real node dials again when a link goes quiet (a peer that did not run for
        // a while), and a link left open would keep the accept loop below waiting.
        foreach (var link in _accepted)
        {
            link.Abort();
        }

        await _accept;
        await _membership.StopAsync(leave: true, CancellationToken.None);
        await _membership.DisposeAsync();
        await _registry.DisposeAsync();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var running = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            running.Add(Task.Run(async () =>
            {
                var link = await _links.AcceptAsync(socket, NodeId, Name, _ => true, _stop.Token);
                if (link is null)
                {
                    return;
                }

                _accepted.Enqueue(link);
                if (_stop.IsCancellationRequested)
                {
                    // Accepted while disposing, after the links were aborted.
                    link.Abort();
                }

                // What a node from before the capabilities sends: an empty SYNC_BEGIN, no sessions, SYNC_END.
                link.TryEnqueue(Frame.Empty(FrameType.SyncBegin));
                link.TryEnqueue(Frame.Empty(FrameType.SyncEnd));
                _linked.TrySetResult(link);
                await link.RunAsync(OnFrameAsync);
            }));
        }

        await Task.WhenAll(running);
    }

    private ValueTask OnFrameAsync(NodeLink link, Frame frame)
    {
        Received.Enqueue(frame.Type);
        switch (frame.Type)
        {
            case FrameType.Ping:
                link.TryEnqueue(Frame.Empty(FrameType.Pong));
                break;
            case FrameType.Stanza:
                link.TryEnqueue(new PayloadWriter().Int64(new PayloadReader(frame.Payload.Span).Int64()).ToFrame(FrameType.Ack));
                break;
        }

        return ValueTask.CompletedTask;
    }
}
