using System.Collections;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Rookery.Server.Transport.Sockets;

/// <summary>
/// One accepted socket as Kestrel sees it: its <see cref="IDuplexPipe"/> is the socket itself (<see cref="SocketInput"/>,
/// <see cref="SocketOutput"/>), with no pipes and no receive or send loop. It is also its own feature collection, with a
/// field for each feature Kestrel and Rookery set or read, so that no dictionary is created per connection.
/// </summary>
internal sealed class LeanSocketConnection : ConnectionContext, IDuplexPipe, IFeatureCollection,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionEndPointFeature,
    IConnectionLifetimeFeature, IConnectionSocketFeature
{
    private static long s_lastId;

    private readonly Socket _socket;
    private readonly SocketInput _input;
    private readonly SocketOutput _output;
    private string? _connectionId;
    private IDuplexPipe? _transport; // set only when middleware replaces the socket's own pipe
    private IDictionary<object, object?>? _items;
    private CancellationTokenSource? _closed; // created only when someone asks for ConnectionClosed
    private EndPoint? _localEndPoint;
    private EndPoint? _remoteEndPoint;
    private int _aborted;
    private int _featureRevision;

    // Features set on the connection by Kestrel (KestrelConnection) and by Rookery's listeners.
    private IConnectionHeartbeatFeature? _heartbeat;
    private IConnectionCompleteFeature? _complete;
    private IConnectionLifetimeNotificationFeature? _lifetimeNotification;
    private DirectTlsFeature? _directTls;
    private Type? _slot1Key, _slot2Key; // two more features without a dictionary (Kestrel's internal metrics context is one)
    private object? _slot1, _slot2;
    private Dictionary<Type, object>? _others;

    internal LeanSocketConnection(Socket socket)
    {
        _socket = socket;
        _input = new SocketInput(socket, this);
        _output = new SocketOutput(socket, this);
    }

    /// <summary>True once <see cref="Abort(ConnectionAbortedException)"/> or <see cref="DisposeAsync"/> closed the socket.</summary>
    internal bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <inheritdoc />
    public override string ConnectionId
    {
        get => _connectionId ??= Interlocked.Increment(ref s_lastId).ToString("x", CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    /// <inheritdoc />
    public override IFeatureCollection Features => this;

    /// <inheritdoc />
    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    /// <inheritdoc />
    public override IDuplexPipe Transport
    {
        get => _transport ?? this;
        set => _transport = value;
    }

    /// <inheritdoc />
    public override EndPoint? LocalEndPoint
    {
        get => _localEndPoint ??= _socket.LocalEndPoint;
        set => _localEndPoint = value;
    }

    /// <inheritdoc />
    public override EndPoint? RemoteEndPoint
    {
        get => _remoteEndPoint ??= _socket.RemoteEndPoint;
        set => _remoteEndPoint = value;
    }

    /// <inheritdoc />
    public override CancellationToken ConnectionClosed
    {
        get
        {
            if (_closed is null)
            {
                var closed = new CancellationTokenSource();
                if (Interlocked.CompareExchange(ref _closed, closed, null) is not null)
                {
                    closed.Dispose();
                }
                else if (IsAborted)
                {
                    closed.Cancel();
                }
            }

            return _closed.Token;
        }

        set => throw new NotSupportedException("The lean socket transport signals ConnectionClosed itself");
    }

    PipeReader IDuplexPipe.Input => _input;

    PipeWriter IDuplexPipe.Output => _output;

    Socket IConnectionSocketFeature.Socket => _socket;

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _featureRevision;

    object? IFeatureCollection.this[Type key]
    {
        get => GetFeature(key);
        set => SetFeature(key, value);
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)GetFeature(typeof(TFeature));

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => SetFeature(typeof(TFeature), instance);

    private object? GetFeature(Type key)
    {
        if (key == typeof(IConnectionHeartbeatFeature))
        {
            return _heartbeat;
        }

        if (key == typeof(IConnectionCompleteFeature))
        {
            return _complete;
        }

        if (key == typeof(IConnectionLifetimeNotificationFeature))
        {
            return _lifetimeNotification;
        }

        if (key == _slot1Key)
        {
            return _slot1;
        }

        if (key == _slot2Key)
        {
            return _slot2;
        }

        if (key == typeof(DirectTlsFeature))
        {
            return _directTls;
        }

        if (key == typeof(IConnectionIdFeature) || key == typeof(IConnectionTransportFeature) || key == typeof(IConnectionItemsFeature)
            || key == typeof(IConnectionEndPointFeature) || key == typeof(IConnectionLifetimeFeature) || key == typeof(IConnectionSocketFeature))
        {
            return _others is not null && _others.TryGetValue(key, out var replaced) ? replaced : this;
        }

        return _others is not null && _others.TryGetValue(key, out var feature) ? feature : null;
    }

    private void SetFeature(Type key, object? value)
    {
        _featureRevision++;
        if (key == typeof(IConnectionHeartbeatFeature))
        {
            _heartbeat = (IConnectionHeartbeatFeature?)value;
        }
        else if (key == typeof(IConnectionCompleteFeature))
        {
            _complete = (IConnectionCompleteFeature?)value;
        }
        else if (key == typeof(IConnectionLifetimeNotificationFeature))
        {
            _lifetimeNotification = (IConnectionLifetimeNotificationFeature?)value;
        }
        else if (key == typeof(DirectTlsFeature))
        {
            _directTls = (DirectTlsFeature?)value;
        }
        else if (key == _slot1Key)
        {
            (_slot1Key, _slot1) = value is null ? (null, null) : (key, value);
        }
        else if (key == _slot2Key)
        {
            (_slot2Key, _slot2) = value is null ? (null, null) : (key, value);
        }
        else if (value is not null && _slot1Key is null && !IsOwn(key) && _others?.ContainsKey(key) != true)
        {
            (_slot1Key, _slot1) = (key, value);
        }
        else if (value is not null && _slot2Key is null && !IsOwn(key) && _others?.ContainsKey(key) != true)
        {
            (_slot2Key, _slot2) = (key, value);
        }
        else if (value is null)
        {
            _others?.Remove(key);
        }
        else
        {
            (_others ??= [])[key] = value;
        }
    }

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        yield return new(typeof(IConnectionIdFeature), GetFeature(typeof(IConnectionIdFeature))!);
        yield return new(typeof(IConnectionTransportFeature), GetFeature(typeof(IConnectionTransportFeature))!);
        yield return new(typeof(IConnectionItemsFeature), GetFeature(typeof(IConnectionItemsFeature))!);
        yield return new(typeof(IConnectionEndPointFeature), GetFeature(typeof(IConnectionEndPointFeature))!);
        yield return new(typeof(IConnectionLifetimeFeature), GetFeature(typeof(IConnectionLifetimeFeature))!);
        yield return new(typeof(IConnectionSocketFeature), GetFeature(typeof(IConnectionSocketFeature))!);
        foreach (var (type, value) in new (Type, object?)[]
        {
            (typeof(IConnectionHeartbeatFeature), _heartbeat),
            (typeof(IConnectionCompleteFeature), _complete),
            (typeof(IConnectionLifetimeNotificationFeature), _lifetimeNotification),
            (typeof(DirectTlsFeature), _directTls),
            (_slot1Key ?? typeof(object), _slot1),
            (_slot2Key ?? typeof(object), _slot2),
        })
        {
            if (value is not null)
            {
                yield return new(type, value);
            }
        }

        if (_others is not null)
        {
            foreach (var pair in _others)
            {
                if (GetFeature(pair.Key) == pair.Value && !IsOwn(pair.Key))
                {
                    yield return pair;
                }
            }
        }
    }

    private static bool IsOwn(Type key) =>
        key == typeof(IConnectionIdFeature) || key == typeof(IConnectionTransportFeature) || key == typeof(IConnectionItemsFeature)
        || key == typeof(IConnectionEndPointFeature) || key == typeof(IConnectionLifetimeFeature) || key == typeof(IConnectionSocketFeature);

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    /// <inheritdoc />
    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        // As Kestrel's socket transport: closing the socket ends a pending receive (the input then completes) and a send.
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer: closing is all that is left.
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile.
        }

        _socket.Dispose();
        try
        {
            _closed?.Cancel();
        }
        catch (AggregateException)
        {
            // A ConnectionClosed callback failed: the connection is closed all the same.
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        Abort(new ConnectionAbortedException("The connection was disposed"));
        // Kestrel disposes the connection after its handler returned: nothing reads or writes any more.
        _input.Complete();
        _output.Complete();
        _closed?.Dispose();
        return base.DisposeAsync();
    }
}
