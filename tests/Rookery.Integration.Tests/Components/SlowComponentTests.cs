using Rookery.Integration.Tests.Streams;
using Rookery.Server.Components;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Components;

/// <summary>
/// An external component that stops reading its socket while stanzas are routed to it: its outgoing queue is bounded
/// (<c>Limits:MaxLinkOutboundQueue</c>), the stream is closed with <c>resource-constraint</c>, the connection is
/// dropped, and every stanza routed to it either reached the component or came back to its sender as an error.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SlowComponentTests
{
    private const string Echo = "echo.localhost";
    private const string Secret = "s3cret";
    private const int ClosingWithErrorEvent = 1112;
    private const int FloodCount = 2_500;

    // What the server may have handed to the transport and lost with the dropped connection: its output pipe (64 KiB)
    // in 4 KB messages, and the one partly written to the socket.
    private const int MaxInTransport = 17;

    // The client's own queue keeps its default: only the component's link is small, and the flood (10 MB) overfills it
    // many times over.
    private static readonly StreamLimitOptions SmallLinkQueue = new() { MaxLinkOutboundQueue = 50 };

    [Fact]
    public async Task ComponentThatStopsReading_ClosedWithResourceConstraint_EveryStanzaDeliveredOrBounced()
    {
        await using var server = await TestServer.StartAsync(o => o.Components[Echo] = new ComponentDomainOptions { Secret = Secret }, SmallLinkQueue);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        await using var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, Echo, receiveBufferBytes: 4096);
        await component.OpenComponentStreamAsync(Echo);
        (await component.ComponentHandshakeAsync(Secret)).Name.Should().Be("handshake");
        await TestComponent.WaitForInstancesAsync(server, Echo, 1);
        component.PauseReading();

        await Flood.SendAsync(alice, $"room@{Echo}", FloodCount).WaitAsync(TimeSpan.FromSeconds(120));

        await Eventually.TrueAsync(
            () => server.Logs.Entries.Any(e => e.EventId.Id == ClosingWithErrorEvent && e.Message.Contains("ResourceConstraint", StringComparison.Ordinal)),
            "the component's stream is closed with resource-constraint");
        await TestComponent.WaitForInstancesAsync(server, Echo, 0);

        // What the component can still read: its socket buffers and what the server wrote before dropping the connection.
        component.ResumeReading();
        var delivered = await DrainIdsAsync(component);
        component.Closed.IsCompleted.Should().BeTrue("the server dropped the component that did not read");
        var bounced = await Flood.BouncesAsync(alice, b => b.Count + delivered.Count >= FloodCount);
        Flood.ShouldAccountForEveryMessage(FloodCount, delivered, bounced, MaxInTransport, "component");
    }

    /// <summary>Reads everything the component still gets until its connection ends; returns the ids of the messages.</summary>
    private static async Task<HashSet<string>> DrainIdsAsync(RawXmppClient component)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            Rookery.Protocol.Xml.Element e;
            try
            {
                e = await component.NextAsync(TimeSpan.FromSeconds(30));
            }
            catch (InvalidOperationException)
            {
                return ids; // the connection ended, and everything before its end was read
            }

            if (e.Name == "message" && e.GetAttribute("id") is { } id)
            {
                ids.Add(id);
            }
        }
    }
}
