using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Rookery.Server.Web;

/// <summary>
/// A client connection that arrived over HTTP (a WebSocket): the <see cref="ConnectionContext"/> a
/// <see cref="Streams.C2sStream"/> runs on, with pipes fed and drained by the framing instead of a socket.
/// </summary>
internal sealed class WebConnection : ConnectionContext
{
    private readonly CancellationTokenSource _aborted = new();

    public WebConnection(string connectionId, IDuplexPipe transport, EndPoint? remote, EndPoint? local)
    {
        ConnectionId = connectionId;
        Transport = transport;
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        ConnectionClosed = _aborted.Token;
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override void Abort(ConnectionAbortedException abortReason) => _aborted.Cancel();

    public override async ValueTask DisposeAsync()
    {
        _aborted.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>An input and output pipe paired.</summary>
    internal sealed class Pipes(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
