using System.Text;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>XEP-0478 Stream Limits Advertisement: the advertised limits are the ones the server enforces.</summary>
public sealed class StreamLimitsTests
{
    private const string LimitsNs = "urn:xmpp:stream-limits:0";

    [Fact]
    public async Task Features_BeforeAndAfterAuth_AdvertiseConfiguredLimits()
    {
        await using var server = await TestServer.StartAsync(
            o => o.Watchdog = new WatchdogOptions { IdleSeconds = 123, TimeoutSeconds = 30 },
            limits: new StreamLimitOptions { MaxStanzaBytes = 5000 });
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();

        var preAuth = await client.OpenSecureStreamAsync();
        var postAuth = await client.AuthenticateScramAsync("alice", "secret", ScramHash.Sha256);

        var before = preAuth.Child("limits", LimitsNs);
        before.Should().NotBeNull();
        before!.Child("max-bytes", LimitsNs)!.Text.Should().Be("5000");
        before.Child("idle-seconds", LimitsNs).Should().BeNull("the idle watchdog does not look at unauthenticated streams");
        var after = postAuth.Child("limits", LimitsNs);
        after.Should().NotBeNull();
        after!.Child("max-bytes", LimitsNs)!.Text.Should().Be("5000");
        after.Child("idle-seconds", LimitsNs)!.Text.Should().Be("123");
    }

    [Fact]
    public async Task Features_WatchdogOff_NoIdleSeconds()
    {
        await using var server = await TestServer.StartAsync(o => o.Watchdog = new WatchdogOptions { IdleSeconds = 0 });
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        var features = await client.AuthenticateScramAsync("alice", "secret", ScramHash.Sha256);

        var limits = features.Child("limits", LimitsNs);
        limits.Should().NotBeNull();
        limits!.Child("max-bytes", LimitsNs)!.Text.Should().Be(new StreamLimitOptions().MaxStanzaBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        limits.Child("idle-seconds", LimitsNs).Should().BeNull();
    }

    [Fact]
    public async Task AdvertisedMaxBytes_StanzaOfExactlyThatSizePasses_OneByteMoreIsPolicyViolation()
    {
        await using var server = await TestServer.StartAsync(limits: new StreamLimitOptions { MaxStanzaBytes = 4096 });
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var features = await client.AuthenticateScramAsync("alice", "secret", ScramHash.Sha256);
        await client.BindAsync("limits");
        var maxBytes = int.Parse(features.Child("limits", LimitsNs)!.Child("max-bytes", LimitsNs)!.Text, System.Globalization.CultureInfo.InvariantCulture);

        // Exactly the advertised size is accepted (the message comes back to the sender's own full JID)...
        await client.SendAsync(MessageOfSize(client.Jid!.ToString(), "fits", maxBytes));
        await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "fits");

        // ...and one byte more ends the stream with the error the parser always sent for oversized stanzas.
        await client.SendAsync(MessageOfSize(client.Jid!.ToString(), "over", maxBytes + 1));

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.PolicyViolation);
        client.Skipped.Should().NotContain(e => e.GetAttribute("id") == "over");
    }

    /// <summary>A message to <paramref name="to"/> whose serialised form is exactly <paramref name="bytes"/> bytes.</summary>
    private static string MessageOfSize(string to, string id, int bytes)
    {
        var shell = $"<message to='{to}' id='{id}'><body></body></message>";
        var padding = bytes - Encoding.UTF8.GetByteCount(shell);
        padding.Should().BePositive();
        var xml = $"<message to='{to}' id='{id}'><body>{new string('x', padding)}</body></message>";
        Encoding.UTF8.GetByteCount(xml).Should().Be(bytes);
        return xml;
    }
}
