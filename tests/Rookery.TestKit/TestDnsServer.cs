using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rookery.TestKit;

/// <summary>
/// An authoritative DNS responder for tests (RFC 1035 over UDP and TCP on one loopback address and port): serves the
/// SRV, A and AAAA records a test adds, NXDOMAIN for unknown names, NOERROR without answers (with an SOA) for a known
/// name of another type; can truncate every UDP answer to force TCP. Written apart from the server's own codec, so
/// that a shared bug cannot hide. Counts the questions it gets.
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, List<(ushort Type, uint Ttl, byte[] Data)>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _questions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _tcpQuestions;

    private TestDnsServer(Socket udp, TcpListener tcp)
    {
        _udp = udp;
        _tcp = tcp;
        EndPoint = (IPEndPoint)udp.LocalEndPoint!;
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    /// <summary>Where it listens (UDP and TCP).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Answer every UDP question with the TC bit and no records (RFC 1035 §4.2.1), so that clients ask over TCP.</summary>
    public bool TruncateUdp { get; set; }

    /// <summary>Questions received over TCP.</summary>
    public int TcpQuestions => Volatile.Read(ref _tcpQuestions);

    /// <summary>The value for <c>S2S:DnsServers</c>.</summary>
    public string Address => $"{EndPoint.Address}:{EndPoint.Port}";

    /// <summary>Starts on <paramref name="address"/> (loopback by default) and <paramref name="port"/> (0: a port free for both UDP and TCP).</summary>
    public static TestDnsServer Start(IPAddress? address = null, int port = 0)
    {
        address ??= IPAddress.Loopback;
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(address, port));
                var tcp = new TcpListener(address, ((IPEndPoint)udp.LocalEndPoint!).Port);
                tcp.Start();
                return new TestDnsServer(udp, tcp);
            }
            catch (SocketException) when (port == 0 && attempt < 50)
            {
                // The UDP port's TCP twin was taken: another pair.
                udp.Dispose();
            }
            catch
            {
                udp.Dispose();
                throw;
            }
        }
    }

    /// <summary>Adds an SRV record for <paramref name="name"/> (for example <c>_xmpp-server._tcp.b.test</c>); target "." for "no service".</summary>
    public void AddSrv(string name, ushort priority, ushort weight, ushort port, string target, uint ttl = 300)
    {
        var targetBytes = EncodeName(target);
        var data = new byte[6 + targetBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(data, priority);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2), weight);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4), port);
        targetBytes.CopyTo(data, 6);
        Add(name, 33, ttl, data);
    }

    /// <summary>Adds an A or AAAA record (by the address family).</summary>
    public void AddAddress(string name, IPAddress address, uint ttl = 300)
    {
        ArgumentNullException.ThrowIfNull(address);
        Add(name, address.AddressFamily == AddressFamily.InterNetworkV6 ? (ushort)28 : (ushort)1, ttl, address.GetAddressBytes());
    }

    /// <summary>How many questions (any type, either transport) named <paramref name="name"/>.</summary>
    public int QuestionsFor(string name) => _questions.TryGetValue(name, out var n) ? n : 0;

    private void Add(string name, ushort type, uint ttl, byte[] data) =>
        _records.AddOrUpdate(name.TrimEnd('.'), _ => [(type, ttl, data)], (_, list) =>
        {
            lock (list)
            {
                list.Add((type, ttl, data));
            }

            return list;
        });

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[1500];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(EndPoint.Address, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            var answer = Answer(buffer.AsSpan(0, received.ReceivedBytes), TruncateUdp);
            if (answer is not null)
            {
                await _udp.SendToAsync(answer, SocketFlags.None, received.RemoteEndPoint);
            }
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var stream = client.GetStream();
                        var prefix = new byte[2];
                        while (true)
                        {
                            await stream.ReadExactlyAsync(prefix, _stop.Token);
                            var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                            await stream.ReadExactlyAsync(query, _stop.Token);
                            Interlocked.Increment(ref _tcpQuestions);
                            var answer = Answer(query, truncate: false);
                            if (answer is null)
                            {
                                return;
                            }

                            var framed = new byte[answer.Length + 2];
                            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
                            answer.CopyTo(framed, 2);
                            await stream.WriteAsync(framed, _stop.Token);
                        }
                    }
                    catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or SocketException)
                    {
                        // The client closed its connection, or the server stops.
                    }
                }
            });
        }
    }

    /// <summary>The response to one query, or null when it is not one we can read.</summary>
    private byte[]? Answer(ReadOnlySpan<byte> query, bool truncate)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return null;
        }

        var offset = 12;
        var labels = new List<string>();
        while (offset < query.Length && query[offset] != 0)
        {
            int length = query[offset];
            if (offset + 1 + length > query.Length)
            {
                return null;
            }

            labels.Add(Encoding.ASCII.GetString(query.Slice(offset + 1, length)));
            offset += 1 + length;
        }

        if (offset + 5 > query.Length)
        {
            return null;
        }

        var questionEnd = offset + 5;
        var name = string.Join('.', labels);
        var type = BinaryPrimitives.ReadUInt16BigEndian(query[(offset + 1)..]);
        _questions.AddOrUpdate(name, 1, (_, n) => n + 1);

        var response = new List<byte>(512);
        response.AddRange(query[..2].ToArray());
        var known = _records.TryGetValue(name, out var all);
        List<(ushort Type, uint Ttl, byte[] Data)> matches = [];
        if (known)
        {
            lock (all!)
            {
                matches = all.Where(r => r.Type == type).ToList();
            }
        }

        // QR, AA, RD copied; TC when truncating; RCODE 3 (NXDOMAIN) for an unknown name.
        var flags = (ushort)(0x8400 | (BinaryPrimitives.ReadUInt16BigEndian(query[2..]) & 0x0100) | (truncate ? 0x0200 : 0) | (known ? 0 : 3));
        Append16(response, flags);
        Append16(response, 1);
        Append16(response, (ushort)(truncate ? 0 : matches.Count));
        Append16(response, (ushort)(truncate || matches.Count > 0 ? 0 : 1));
        Append16(response, 0);
        response.AddRange(query[12..questionEnd].ToArray());
        if (truncate)
        {
            return [.. response];
        }

        foreach (var (recordType, ttl, data) in matches)
        {
            // The owner name as a compression pointer to the question (RFC 1035 §4.1.4), as real servers write it.
            Append16(response, 0xC00C);
            Append16(response, recordType);
            Append16(response, 1);
            Append32(response, ttl);
            Append16(response, (ushort)data.Length);
            response.AddRange(data);
        }

        if (matches.Count == 0)
        {
            // A negative answer carries the zone's SOA (RFC 2308 §3): TTL 60, MINIMUM 30.
            Append16(response, 0xC00C);
            Append16(response, 6);
            Append16(response, 1);
            Append32(response, 60);
            var mname = EncodeName("ns.test");
            var rname = EncodeName("admin.test");
            Append16(response, (ushort)(mname.Length + rname.Length + 20));
            response.AddRange(mname);
            response.AddRange(rname);
            Append32(response, 1);
            Append32(response, 3600);
            Append32(response, 600);
            Append32(response, 86400);
            Append32(response, 30);
        }

        return [.. response];
    }

    private static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    private static void Append16(List<byte> to, ushort value)
    {
        to.Add((byte)(value >> 8));
        to.Add((byte)value);
    }

    private static void Append32(List<byte> to, uint value)
    {
        Append16(to, (ushort)(value >> 16));
        Append16(to, (ushort)value);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
