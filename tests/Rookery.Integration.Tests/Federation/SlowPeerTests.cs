using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Integration.Tests.Streams;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation;

/// <summary>
/// A remote server that stops reading its socket while stanzas are routed to it: the outgoing s2s stream's queue is
/// bounded (<c>Limits:MaxLinkOutboundQueue</c>), the stream is closed with <c>resource-constraint</c> and dropped, and
/// every stanza either reached the peer or came back to its sender as an error (what was queued is routed again: a new
/// stream to the peer, which does not answer it, so it bounces at the set-up deadline).
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class SlowPeerTests
{
    private const string DomainA = "a.test";
    private const string DomainB = "b.test";
    private const int ClosingWithErrorEvent = 4602;
    private const int ConnectionDroppedEvent = 4600;
    private const int FloodCount = 2_500;

    [Fact]
    public async Task PeerThatStopsReading_StreamClosedWithResourceConstraint_EveryStanzaDeliveredOrBounced()
    {
        // The peer: a raw socket listener of b.test with a small receive buffer (inherited by the accepted socket).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        var peerPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        await using var a = await TestServer.StartFederatingAsync(
            DomainA,
            0,
            new S2sOptions
            {
                Enabled = true,
                DialbackSecret = "dialback-secret-of-a",
                Routes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [DomainB] = $"127.0.0.1:{peerPort}" },
                ConnectTimeoutSeconds = 3,
            },
            limits: new StreamLimitOptions { MaxLinkOutboundQueue = 50 });
        await a.CreateUserAsync("alice");
        await using var alice = await a.LoginAsync("alice");

        await alice.SendAsync($"<message to='bob@{DomainB}' id='hello' type='chat'><body>hello</body></message>");
        using var peer = await listener.AcceptAsync();
        await using var wire = new NetworkStream(peer);
        var received = new StringBuilder();
        await ReadUntilAsync(wire, received, DomainB); // the stream header of a.test to b.test
        await wire.WriteAsync(Encoding.UTF8.GetBytes(
            $"<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' from='{DomainB}' to='{DomainA}' id='peer-1' version='1.0'>"
            + "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>"));
        await ReadUntilAsync(wire, received, DomainB); // the stream header of a.test to b.test
        await wire.WriteAsync(Encoding.UTF8.GetBytes($"<db:result from='{DomainB}' to='{DomainA}' type='valid'/>"));
        await ReadUntilAsync(wire, received, "hello");
        a.Services.GetRequiredService<S2SManager>().OutgoingRoutes.Should().ContainSingle(r => r.Remote == DomainB && r.Verified);

        // From here on the peer reads nothing until the server has given up on it.
        await Flood.SendAsync(alice, $"bob@{DomainB}", FloodCount).WaitAsync(TimeSpan.FromSeconds(120));
        await Eventually.TrueAsync(
            () => a.Logs.Entries.Any(e => e.EventId.Id == ClosingWithErrorEvent && e.Message.Contains("ResourceConstraint", StringComparison.Ordinal)),
            "the stream to the peer is closed with resource-constraint");
        await Eventually.TrueAsync(
            () => a.Logs.Entries.Any(e => e.EventId.Id == ConnectionDroppedEvent && e.Exception is TimeoutException),
            "the server gave up waiting for its writes and dropped the connection");

        // What the peer can still read at once (before the kernel gives up on the orphaned socket): its socket buffers
        // and what the server wrote before dropping the connection.
        var rest = new byte[65536];
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int n;
            while ((n = await wire.ReadAsync(rest, drain.Token)) > 0)
            {
                received.Append(Encoding.UTF8.GetString(rest, 0, n));
            }
        }
        catch (IOException)
        {
            // Reset after the end of what was sent: everything before it was read.
        }

        var delivered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in received.ToString().Split("</message>").SkipLast(1))
        {
            if (FloodId().Match(message) is { Success: true } match)
            {
                delivered.Add(match.Groups[1].Value);
            }
        }

        var bounced = await Flood.BouncesAsync(alice, b => b.Count + delivered.Count >= FloodCount);
        // No bound on what was lost in transport here: the dropped outgoing connection held megabytes in the server's
        // socket for the peer's closed window, and in our runs the peer read none of it after the drop (only what its own
        // small buffer held). Everything the server still held itself bounced.
        Flood.ShouldAccountForEveryMessage(FloodCount, delivered, bounced, maxInTransport: null, "s2s");
    }

    /// <summary>Reads from the peer's socket until what was received contains <paramref name="marker"/>.</summary>
    private static async Task ReadUntilAsync(NetworkStream wire, StringBuilder received, string marker)
    {
        var start = received.Length;
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(RawXmppClient.DefaultTimeout);
        while (received.ToString(start, received.Length - start).IndexOf(marker, StringComparison.Ordinal) < 0)
        {
            var n = await wire.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                throw new InvalidOperationException("The server closed the connection; got: " + received);
            }

            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    [GeneratedRegex("id=[\"'](f[0-9]+)[\"']")]
    private static partial Regex FloodId();
}
