using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Server.Hosts;
using Rookery.TestKit;
using Xunit.Abstractions;

namespace Rookery.Integration.Tests.Performance;

/// <summary>
/// The allocation budget of the message hot path (issue #6): one client sends chat messages to another's full JID over
/// real sockets, and the bytes allocated in the whole process per delivered message must stay within the budget. The
/// clients are raw sockets over fixed buffers, so what is counted is (almost only) the server's parse, route and write.
/// </summary>
[Trait("Category", "Slow")]
[Collection(MeasurementCollection.Name)]
public sealed partial class HotPathAllocationTests(ITestOutputHelper output)
{
    // Bytes per routed chat message, measured in the whole process (server plus the two raw clients): 1,035 in Release
    // on main at 116c785, 803 on the perf-msg branch (2,567 in Debug). Debug builds allocate every async state machine
    // as a class, so they get a budget of their own. The figures and how they were measured are in docs/benchmarks.md
    // ("Message throughput (perf-msg branch)").
#if DEBUG
    private const int BudgetBytesPerMessage = 3072;
#else
    private const int BudgetBytesPerMessage = 960;
#endif

    [Fact]
    public async Task RoutedChatMessage_AllocatesWithinBudget()
    {
        // MAM archives every chat message into SQLite, which is storage cost, not the hot path this budget is about.
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions { AllowAnonymous = true };
            o.DisabledModules = ["mam"];
        });
        try
        {
            await MeasureAsync(server);
        }
        finally
        {
            foreach (var e in server.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Information).TakeLast(30))
            {
                output.WriteLine($"{e.Level} {e.Category}: {e.Message}");
            }
        }
    }

    private async Task MeasureAsync(TestServer server)
    {
        using var sender = await MiniClient.LoginAsync(server.Port);
        using var receiver = await MiniClient.LoginAsync(server.Port);

        var template = $"<message to='{receiver.Jid}' type='chat' id='m'><body>Hello there, this is a benchmark message of a typical size.</body></message>";
        var batch = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(template, 50)));

        // Warm up (JIT, pools, tiered compilation) before measuring.
        await RunAsync(sender, receiver, batch, 4_000);
        await RunAsync(sender, receiver, batch, 4_000);

        const int count = 20_000;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        await RunAsync(sender, receiver, batch, count);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;

        var perMessage = (double)allocated / count;
        output.WriteLine($"{count} messages: {perMessage:F0} bytes allocated per message, {cpu.TotalMicroseconds / count:F1} µs process CPU per message");
        perMessage.Should().BeLessThan(BudgetBytesPerMessage);
    }

    private static async Task RunAsync(MiniClient sender, MiniClient receiver, byte[] batch, int count)
    {
        // In windows of 1,000 messages: what is measured is the routed message, not a flood (an unpaced sender gets
        // paused by the server while its recipient's queue is congested, and those pauses are not the hot path).
        const int window = 1_000;
        for (var done = 0; done < count; done += window)
        {
            var receiving = receiver.CountMessagesAsync(window, TimeSpan.FromSeconds(60));
            for (var sent = 0; sent < window; sent += 50)
            {
                await sender.Socket.SendAsync(batch, SocketFlags.None);
            }

            try
            {
                await receiving;
            }
            catch (TimeoutException e)
            {
                var n = sender.Socket.Available > 0 ? sender.Socket.Receive(batch) : 0;
                throw new TimeoutException(e.Message + "; the sender got: " + Encoding.UTF8.GetString(batch, 0, n), e);
            }
        }
    }

    /// <summary>A minimal client on a raw socket: SASL ANONYMOUS, bind, then counting received messages in a fixed buffer.</summary>
    private sealed partial class MiniClient : IDisposable
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _matched; // how much of "</message>" the previous read ended with

        private MiniClient(Socket socket) => Socket = socket;

        public Socket Socket { get; }

        public string Jid { get; private set; } = string.Empty;

        public static async Task<MiniClient> LoginAsync(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync("127.0.0.1", port);
            var client = new MiniClient(socket);
            const string header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
            await client.SendAsync(header);
            await client.ReadUntilAsync("</stream:features>");
            await client.SendAsync("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
            await client.ReadUntilAsync("<success");
            await client.SendAsync(header);
            await client.ReadUntilAsync("</stream:features>");
            await client.SendAsync("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>");
            var bound = await client.ReadUntilAsync("</iq>");
            client.Jid = JidPattern().Match(bound).Groups[1].Value;
            return client;
        }

        public async Task CountMessagesAsync(int count, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            var seen = 0;
            while (seen < count)
            {
                int n;
                try
                {
                    n = await Socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"{seen} of {count} messages arrived; last bytes: {Encoding.UTF8.GetString(_buffer, 0, 600)}");
                }

                if (n == 0)
                {
                    throw new IOException("The server closed the stream: " + Encoding.UTF8.GetString(_buffer, 0, Math.Min(2000, _buffer.Length)));
                }

                seen += Count(_buffer.AsSpan(0, n));
            }
        }

        private int Count(ReadOnlySpan<byte> data)
        {
            var end = "</message>"u8;
            var found = 0;
            foreach (var b in data)
            {
                _matched = b == end[_matched] ? _matched + 1 : (b == end[0] ? 1 : 0);
                if (_matched == end.Length)
                {
                    found++;
                    _matched = 0;
                }
            }

            return found;
        }

        private async Task SendAsync(string xml) => await Socket.SendAsync(Encoding.UTF8.GetBytes(xml), SocketFlags.None);

        private async Task<string> ReadUntilAsync(string marker)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var text = new StringBuilder();
            while (true)
            {
                var n = await Socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    throw new IOException("The server closed the stream: " + text);
                }

                text.Append(Encoding.UTF8.GetString(_buffer, 0, n));
                if (text.ToString().Contains(marker, StringComparison.Ordinal))
                {
                    return text.ToString();
                }
            }
        }

        public void Dispose() => Socket.Dispose();

        [GeneratedRegex("<jid>([^<]+)</jid>")]
        private static partial Regex JidPattern();
    }
}
