using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Components;

/// <summary>
/// The component side of XEP-0114 (accept mode): dials a node's component listener, performs the SHA-1 handshake, and
/// feeds every stanza to an <see cref="IComponentService"/> in order. When the connection drops (the node died or shut
/// down) it fails over to the next listed node at once, and after a whole round of failures waits with a doubling
/// delay, so that a service outlives any single node (seed 003, Tigase's external component clusters). In listening
/// mode (<see cref="ComponentClientOptions.Listen"/>) the nodes dial this process instead (XEP-0114
/// <c>jabber:component:connect</c>, Tigase's <c>connect</c>): each node that proves the secret becomes one more
/// connection the service is reached through, and its answers leave through the most recently connected live node.
/// </summary>
public sealed partial class ComponentClient : IComponentContext
{
    private readonly ComponentClientOptions _options;
    private readonly IComponentService _service;
    private readonly ILogger _logger;
    private readonly List<Connection> _live = [];
    private volatile Connection? _current;

    /// <summary>Creates a client; nothing happens until <see cref="RunAsync"/>.</summary>
    public ComponentClient(ComponentClientOptions options, IComponentService service, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.Endpoints.Count == 0 && options.Listen is null)
        {
            throw new ArgumentException("At least one node address, or an address to listen on, is needed", nameof(options));
        }

        _options = options;
        _service = service;
        _logger = logger;
    }

    /// <summary>Raised after each successful handshake, with the node's address.</summary>
    public event EventHandler<ComponentEndpoint>? Connected;

    /// <summary>Raised when an established connection ends, with the node's address.</summary>
    public event EventHandler<ComponentEndpoint>? Disconnected;

    /// <inheritdoc />
    public string Domain => _options.Domain;

    /// <inheritdoc />
    public string InstanceName => _options.InstanceName;

    /// <summary>The node this instance is connected to now, or null between connections.</summary>
    public ComponentEndpoint? CurrentEndpoint => _current?.Endpoint;

    /// <inheritdoc />
    public ValueTask SendAsync(Element stanza, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        var connection = _current ?? throw new InvalidOperationException($"{Domain} is not connected to any node");
        return connection.WriteAsync(stanza, ct);
    }

    /// <summary>
    /// Connects and serves until <paramref name="ct"/> is cancelled, failing over between the listed nodes. Throws
    /// <see cref="ComponentAuthenticationException"/> when a node refuses the secret: no retry can fix that.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (_options.Listen is { } listen)
        {
            await ListenAsync(listen, ct).ConfigureAwait(false);
            return;
        }

        var endpoints = _options.Endpoints;
        var index = 0;
        var failures = 0;
        var delay = _options.ReconnectDelay;
        while (!ct.IsCancellationRequested)
        {
            var endpoint = endpoints[index];
            try
            {
                var connection = await ConnectAsync(endpoint, ct).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    failures = 0;
                    delay = _options.ReconnectDelay;
                    _current = connection;
                    Log.Connected(_logger, Domain, endpoint, InstanceName);
                    Connected?.Invoke(this, endpoint);
                    try
                    {
                        await _service.OnConnectedAsync(this, ct).ConfigureAwait(false);
                        var reason = await ServeAsync(connection, ct).ConfigureAwait(false);
                        Log.Disconnected(_logger, Domain, endpoint, reason);
                    }
                    finally
                    {
                        _current = null;
                        Disconnected?.Invoke(this, endpoint);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (ComponentAuthenticationException)
            {
                throw;
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException or OperationCanceledException
                or StreamErrorException or InvalidOperationException or ObjectDisposedException)
            {
                failures++;
                Log.ConnectFailed(_logger, Domain, endpoint, e.Message);
            }

            // After a drop the next node is tried at once; after a whole round of failures, wait (doubling) first.
            index = (index + 1) % endpoints.Count;
            if (failures >= endpoints.Count)
            {
                failures = 0;
                try
                {
                    await Task.Delay(delay, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }
        }
    }

    /// <summary>The bound listening port once listening (useful with port 0), else 0.</summary>
    public int ListeningPort { get; private set; }

    /// <summary>Listening mode: accepts node connections until <paramref name="ct"/> is cancelled, serving each one.</summary>
    private async Task ListenAsync(ComponentEndpoint listen, CancellationToken ct)
    {
        var address = System.Net.IPAddress.TryParse(listen.Host, out var ip) ? ip : (await System.Net.Dns.GetHostAddressesAsync(listen.Host, ct).ConfigureAwait(false))[0];
        var listener = new TcpListener(address, listen.Port);
        listener.Start();
        ListeningPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        Log.Listening(_logger, Domain, listen.Host, ListeningPort, InstanceName);
        var served = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                TcpClient tcp;
                try
                {
                    tcp = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                tcp.NoDelay = true;
                served.RemoveAll(t => t.IsCompleted);
                served.Add(Task.Run(() => ServeNodeAsync(tcp, ct), CancellationToken.None));
            }
        }
        finally
        {
            listener.Stop();
            await Task.WhenAll(served).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One node that dialled us: its header (to our domain, jabber:component:connect), our header with a fresh stream id,
    /// its handshake (hex SHA-1 of id and secret, XEP-0114 §3) checked in constant time, our empty handshake, then stanzas.
    /// </summary>
    private async Task ServeNodeAsync(TcpClient tcp, CancellationToken ct)
    {
        var remote = tcp.Client.RemoteEndPoint is System.Net.IPEndPoint ep ? new ComponentEndpoint(ep.Address.ToString(), ep.Port) : new ComponentEndpoint("?", 0);
        var connection = new Connection(remote, tcp, Ns.ComponentConnect);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    timeout.CancelAfter(_options.ConnectTimeout);
                    var header = await connection.NextAsync(timeout.Token).ConfigureAwait(false);
                    var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                    await connection.WriteRawAsync(
                        $"<?xml version='1.0'?><stream:stream xmlns='{Ns.ComponentConnect}' xmlns:stream='{Ns.Streams}' from='{Domain}' id='{id}'>", timeout.Token).ConfigureAwait(false);
                    if (header.Kind != XmlStreamEventKind.StreamOpen || header.Element!.GetAttribute("to") != Domain)
                    {
                        await RefuseAsync(connection, "host-unknown", timeout.Token).ConfigureAwait(false);
                        Log.NodeRefused(_logger, Domain, remote, "its stream header does not address this component");
                        return;
                    }

                    var handshake = await connection.NextAsync(timeout.Token).ConfigureAwait(false);
                    var expected = Encoding.ASCII.GetBytes(Handshake(id, _options.Secret));
                    var given = handshake.Kind == XmlStreamEventKind.Element && handshake.Element!.Name == "handshake"
                        ? Encoding.ASCII.GetBytes(handshake.Element.Text.Trim().ToLowerInvariant())
                        : [];
                    if (!CryptographicOperations.FixedTimeEquals(expected, given))
                    {
                        await RefuseAsync(connection, "not-authorized", timeout.Token).ConfigureAwait(false);
                        Log.NodeRefused(_logger, Domain, remote, "wrong secret in the handshake");
                        return;
                    }

                    await connection.WriteRawAsync("<handshake/>", timeout.Token).ConfigureAwait(false);
                }

                lock (_live)
                {
                    _live.Add(connection);
                    _current = connection;
                }

                Log.NodeConnected(_logger, Domain, remote, InstanceName);
                Connected?.Invoke(this, remote);
                try
                {
                    await _service.OnConnectedAsync(this, ct).ConfigureAwait(false);
                    var reason = await ServeAsync(connection, ct).ConfigureAwait(false);
                    Log.Disconnected(_logger, Domain, remote, reason);
                }
                finally
                {
                    lock (_live)
                    {
                        _live.Remove(connection);
                        _current = _live.Count > 0 ? _live[^1] : null;
                    }

                    Disconnected?.Invoke(this, remote);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ChannelClosedException or ObjectDisposedException)
            {
                if (!ct.IsCancellationRequested)
                {
                    // The reader completes the event channel with what ended it; "the channel has been closed" alone
                    // would hide whether the node hung up or sent something unparsable.
                    Log.NodeRefused(_logger, Domain, remote, (e as ChannelClosedException)?.InnerException?.Message ?? e.Message);
                }
            }
        }
    }

    private static async Task RefuseAsync(Connection connection, string condition, CancellationToken ct) =>
        await connection.WriteRawAsync(
            $"<stream:error><{condition} xmlns='{Ns.StreamErrors}'/></stream:error></stream:stream>", ct).ConfigureAwait(false);

    private async Task<Connection> ConnectAsync(ComponentEndpoint endpoint, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ConnectTimeout);
        var tcp = new TcpClient { NoDelay = true };
        Connection? connection = null;
        try
        {
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
            connection = new Connection(endpoint, tcp, Ns.Component);
            await connection.WriteRawAsync(
                $"<?xml version='1.0'?><stream:stream xmlns='{Ns.Component}' xmlns:stream='{Ns.Streams}' to='{Domain}'>", timeout.Token).ConfigureAwait(false);
            var header = await connection.NextAsync(timeout.Token).ConfigureAwait(false);
            if (header.Kind != XmlStreamEventKind.StreamOpen || header.Element!.GetAttribute("id") is not { Length: > 0 } id)
            {
                throw await FailureAsync(connection, header, "no stream id in the node's header", timeout.Token).ConfigureAwait(false);
            }

            // XEP-0114 §3: the handshake is the lower-case hex SHA-1 of the stream id followed by the secret.
            await connection.WriteRawAsync($"<handshake>{Handshake(id, _options.Secret)}</handshake>", timeout.Token).ConfigureAwait(false);
            var answer = await connection.NextAsync(timeout.Token).ConfigureAwait(false);
            if (answer.Kind != XmlStreamEventKind.Element || answer.Element!.Name != "handshake")
            {
                throw await FailureAsync(connection, answer, "the handshake was not accepted", timeout.Token).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                tcp.Dispose();
            }

            throw;
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "XEP-0114 §3 fixes SHA-1 for the handshake.")]
    private static string Handshake(string streamId, string secret) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(streamId + secret)));

    /// <summary>Turns an unexpected event during the handshake into the exception that says what happened.</summary>
    private async Task<Exception> FailureAsync(Connection connection, XmlStreamEvent ev, string fallback, CancellationToken ct)
    {
        if (ev.Kind == XmlStreamEventKind.StreamOpen)
        {
            // The node's header came first; a stream error, if any, follows it.
            ev = await connection.NextAsync(ct).ConfigureAwait(false);
        }

        if (ev.Kind == XmlStreamEventKind.Element && ev.Element!.Name == "error" && ev.Element.Namespace == Ns.Streams)
        {
            var condition = ConditionOf(ev.Element);
            return condition == "not-authorized"
                ? new ComponentAuthenticationException($"{connection.Endpoint} refused the secret for {Domain} (not-authorized)")
                : new IOException($"{connection.Endpoint} ended the stream: {condition}");
        }

        return new IOException($"{connection.Endpoint}: {fallback}");
    }

    private static string ConditionOf(Element error)
    {
        foreach (var c in error.Elements())
        {
            if (c.Namespace == Ns.StreamErrors && c.Name != "text")
            {
                return c.Name;
            }
        }

        return "undefined-condition";
    }

    /// <summary>Hands stanzas to the service until the stream ends; returns why it ended.</summary>
    private async Task<string> ServeAsync(Connection connection, CancellationToken ct)
    {
        while (true)
        {
            XmlStreamEvent ev;
            try
            {
                ev = await connection.NextAsync(ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                return e.InnerException?.Message ?? "connection closed";
            }

            if (ev.Kind == XmlStreamEventKind.StreamClose)
            {
                return "stream closed by the node";
            }

            if (ev.Kind != XmlStreamEventKind.Element)
            {
                continue;
            }

            var element = ev.Element!;
            if (element.Namespace == Ns.Streams && element.Name == "error")
            {
                return "stream error " + ConditionOf(element);
            }

            try
            {
                await _service.HandleAsync(element, this, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is not (IOException or SocketException or ObjectDisposedException))
            {
                // A failing handler answers its request with an error rather than ending the component (RFC 6120 §8.3).
                Log.HandlerFailed(_logger, e, element.Name, element.GetAttribute("from"));
                if (!StanzaErrors.MustNotBounce(element) && element.Name == "iq")
                {
                    await connection.WriteAsync(StanzaErrors.BuildReply(element, StanzaErrorCondition.InternalServerError), ct).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>One TCP connection to a node: a reader task that parses into a queue, and serialised writes.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly Channel<XmlStreamEvent> _events = Channel.CreateUnbounded<XmlStreamEvent>(new UnboundedChannelOptions { SingleWriter = true });
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reader;
        private readonly string _wireNamespace;

        public Connection(ComponentEndpoint endpoint, TcpClient tcp, string wireNamespace)
        {
            Endpoint = endpoint;
            _wireNamespace = wireNamespace;
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = Task.Run(ReadLoopAsync);
        }

        public ComponentEndpoint Endpoint { get; }

        public ValueTask<XmlStreamEvent> NextAsync(CancellationToken ct) => _events.Reader.ReadAsync(ct);

        public async ValueTask WriteRawAsync(string text, CancellationToken ct)
        {
            await _writeLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        public async ValueTask WriteAsync(Element stanza, CancellationToken ct)
        {
            // Stanzas inside Rookery are jabber:client; written unqualified they take the stream's jabber:component:accept.
            var buffer = new ArrayBufferWriter<byte>(512);
            ElementWriter.Write(stanza, buffer, Ns.Client);
            await _writeLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        private async Task ReadLoopAsync()
        {
            var parser = new XmlStreamParser();
            parser.AliasNamespace(_wireNamespace, Ns.Client);
            var input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
            Exception? failure = null;
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync(_stop.Token).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    try
                    {
                        while (parser.TryRead(ref buffer, out var ev))
                        {
                            _events.Writer.TryWrite(ev);
                        }
                    }
                    finally
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        failure = new IOException("the node closed the connection");
                        break;
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                await input.CompleteAsync().ConfigureAwait(false);
                _events.Writer.TryComplete(failure);
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_tcp.Connected)
                {
                    using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    await WriteRawAsync("</stream:stream>", quick.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The node is gone already: nothing to close politely.
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            _tcp.Dispose();
            try
            {
                await _reader.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The reader records its own failure in the event queue.
            }

            _stop.Dispose();
            _writeLock.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Component {Domain} connected to {Endpoint} as instance {Instance}")]
        public static partial void Connected(ILogger logger, string domain, ComponentEndpoint endpoint, string instance);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Component {Domain} lost its connection to {Endpoint}: {Reason}")]
        public static partial void Disconnected(ILogger logger, string domain, ComponentEndpoint endpoint, string reason);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Component {Domain} cannot connect to {Endpoint}: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string domain, ComponentEndpoint endpoint, string reason);

        [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Handling {Name} from {From} failed")]
        public static partial void HandlerFailed(ILogger logger, Exception e, string name, string? from);

        [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Component {Domain} listening on {Host}:{Port} as instance {Instance}")]
        public static partial void Listening(ILogger logger, string domain, string host, int port, string instance);

        [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Component {Domain}: node {Endpoint} connected to us as instance {Instance}")]
        public static partial void NodeConnected(ILogger logger, string domain, ComponentEndpoint endpoint, string instance);

        [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Component {Domain}: refused node connection from {Endpoint}: {Reason}")]
        public static partial void NodeRefused(ILogger logger, string domain, ComponentEndpoint endpoint, string reason);

        // Next free EventId: 8
    }
}
