using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rookery.Integration.Tests.Proxy65;

/// <summary>
/// A raw SOCKS5 client for the proxy's listener: sends exact bytes, reads exact replies (RFC 1928), and after a successful
/// CONNECT is the bytestream itself. Every read has a timeout, so a test fails instead of hanging.
/// </summary>
internal sealed class Socks5TestClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;

    private Socks5TestClient(Socket socket)
    {
        _socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>The connection as a stream.</summary>
    public NetworkStream Stream { get; }

    public static async Task<Socks5TestClient> OpenAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new Socks5TestClient(socket);
    }

    /// <summary>Opens a connection and names the stream as XEP-0065 says; returns the client and the reply's REP byte.</summary>
    public static async Task<(Socks5TestClient Client, byte Reply)> ConnectToStreamAsync(int port, string hash)
    {
        var client = await OpenAsync(port);
        (await client.GreetAsync(0)).Should().Equal(5, 0);
        var reply = await client.RequestAsync(Request(hash));
        return (client, reply[1]);
    }

    /// <summary>A CONNECT request (VER CMD RSV ATYP=DOMAINNAME LEN ADDR PORT).</summary>
    public static byte[] Request(string address, int port = 0, byte command = 1)
    {
        var name = Encoding.ASCII.GetBytes(address);
        return [5, command, 0, 3, (byte)name.Length, .. name, (byte)(port >> 8), (byte)port];
    }

    /// <summary>Sends a method selection message offering <paramref name="methods"/>; returns the two-byte answer.</summary>
    public async Task<byte[]> GreetAsync(params byte[] methods)
    {
        await SendAsync([5, (byte)methods.Length, .. methods]);
        return await ReadExactlyAsync(2);
    }

    /// <summary>Sends a request; returns the whole reply (header, BND.ADDR, BND.PORT).</summary>
    public async Task<byte[]> RequestAsync(byte[] request)
    {
        await SendAsync(request);
        return await ReadReplyAsync();
    }

    /// <summary>Reads a reply: VER REP RSV ATYP, then an address of the announced type and the port.</summary>
    public async Task<byte[]> ReadReplyAsync()
    {
        var head = await ReadExactlyAsync(4);
        byte[] address = head[3] switch
        {
            1 => await ReadExactlyAsync(4),
            4 => await ReadExactlyAsync(16),
            3 => await ReadDomainNameAsync(),
            _ => throw new InvalidDataException($"address type {head[3]} in the reply"),
        };
        var port = await ReadExactlyAsync(2);
        return [.. head, .. address, .. port];
    }

    private async Task<byte[]> ReadDomainNameAsync()
    {
        var length = (await ReadExactlyAsync(1))[0];
        return [length, .. await ReadExactlyAsync(length)];
    }

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(Timeout);
        await Stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    /// <summary>True when the proxy closes the connection (the read ends, or the connection is reset) within the timeout.</summary>
    public async Task<bool> ClosedByProxyAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? Timeout);
        var buffer = new byte[256];
        try
        {
            while (await Stream.ReadAsync(buffer, timeout.Token) > 0)
            {
                // Anything still in flight is not what this check is about.
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes the sending side only: the peer sees the end of the stream.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _socket.Dispose();
    }
}
