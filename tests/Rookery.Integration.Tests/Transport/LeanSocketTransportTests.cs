using System.Net.Sockets;
using System.Text;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Transport;

/// <summary>
/// The lean socket transport (Rookery.Server.Transport.Sockets) under what a pipe used to absorb: stanzas larger than
/// its 4 KiB receive buffer, stanzas split across many small writes, and bursts larger than one send buffer; and what
/// Kestrel's HTTP code asks of a transport (the web client listeners run on it too).
/// </summary>
public sealed class LeanSocketTransportTests
{
    [Fact]
    public async Task LargeStanza_SentInSmallPieces_ArrivesWhole()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        // 40 KB body: ten times the receive buffer, so the buffer grows and compacts while the parser waits for the end.
        var body = string.Concat(Enumerable.Range(0, 4000).Select(i => (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture) + "ǅ€𝄞xx"));
        var bytes = Encoding.UTF8.GetBytes($"<message to='{bob.Jid}' type='chat' id='big'><body>{body}</body></message>");

        // Split inside multi-byte characters too: 997-byte pieces fall anywhere in the UTF-8 sequences.
        for (var offset = 0; offset < bytes.Length; offset += 997)
        {
            await alice.SendBytesAsync(bytes.AsSpan(offset, Math.Min(997, bytes.Length - offset)).ToArray());
        }

        var received = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "big");
        received.ChildText("body", "jabber:client").Should().Be(body);
    }

    [Fact]
    public async Task Burst_LargerThanOneSendBuffer_ArrivesInOrder()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var text = new string('z', 1500);
        var burst = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            burst.Append(System.Globalization.CultureInfo.InvariantCulture, $"<message to='{bob.Jid}' type='chat' id='m{i}'><body>{text}</body></message>");
        }

        // One write of 200 stanzas: routed to bob's queue faster than his writer drains it, so a flush spans many chunks.
        await alice.SendAsync(burst.ToString());

        for (var i = 0; i < 200; i++)
        {
            var id = "m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var message = await bob.WaitForAsync(e => e.Name == "message");
            message.GetAttribute("id").Should().Be(id);
            message.ChildText("body", "jabber:client").Should().Be(text);
        }
    }

    [Fact]
    public async Task HttpKeepAliveConnection_ServerStops_ClosedWithoutErrors()
    {
        // Kestrel ends an idle keep-alive HTTP connection on shutdown with CancelPendingRead on its transport input.
        var server = await TestServer.StartAsync();
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.HttpPort);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /.well-known/host-meta HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var response = new StringBuilder();
        var buffer = new byte[4096];
        // The whole response: a chunked one ends with its empty last chunk, which may come in a read of its own.
        while (!IsComplete(response.ToString()))
        {
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            read.Should().BeGreaterThan(0, "the response comes before the connection ends");
            response.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        response.ToString().Should().StartWith("HTTP/1.1 200");

        // The connection is idle, kept alive; stopping the server must end it cleanly and soon.
        var stopping = server.DisposeAsync().AsTask();
        var end = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        end.Should().Be(0, "the server closes the idle keep-alive connection when it stops");
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        server.Logs.Errors.Should().BeEmpty();
    }

    private static bool IsComplete(string response) =>
        response.Contains("</XRD>", StringComparison.Ordinal) &&
        (!response.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) || response.EndsWith("0\r\n\r\n", StringComparison.Ordinal));
}
