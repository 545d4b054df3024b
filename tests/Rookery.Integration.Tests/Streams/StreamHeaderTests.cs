using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>The stream header and the features offered at each stage of negotiation (RFC 6120 §4.7, §4.3.2).</summary>
public sealed class StreamHeaderTests
{
    [Fact]
    public async Task OpenStream_BeforeTls_OffersStartTlsAndScramButNotPlain()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var features = await client.OpenStreamAsync();

        var starttls = features.Child("starttls", Ns.Tls);
        starttls.Should().NotBeNull();
        starttls!.Child("required", Ns.Tls).Should().BeNull("TLS is optional on a default host");
        // RFC 6120 §13.9.4 / §6.4.1: PLAIN only under TLS; no -PLUS without a TLS channel to bind to.
        features.Mechanisms().Should().BeEquivalentTo("SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512");
        features.Child("sasl-channel-binding", "urn:xmpp:sasl-cb:0").Should().BeNull();
        features.Child("bind", Ns.Bind).Should().BeNull();
    }

    [Fact]
    public async Task OpenStream_AfterStartTls_OffersPlainPlusVariantsAndChannelBindingTypes()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var features = await client.OpenSecureStreamAsync();

        features.Child("starttls", Ns.Tls).Should().BeNull("TLS is already in place");
        features.Mechanisms().Should().Contain(
        [
            "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512",
            "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512-PLUS",
            "PLAIN",
        ]);
        var bindings = features.Child("sasl-channel-binding", "urn:xmpp:sasl-cb:0");
        bindings.Should().NotBeNull("XEP-0440 lists the channel-binding types of the -PLUS mechanisms");
        bindings!.Elements().Where(e => e.Name == "channel-binding").Select(e => e.GetAttribute("type"))
            .Should().Contain("tls-server-end-point");
    }

    [Fact]
    public async Task OpenStream_ValidHeader_ServerHeaderHasIdFromAndVersion()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.OpenStreamAsync();
        var first = client.StreamHeader!;
        await client.StartTlsAsync();
        var afterTls = client.StreamHeader!;

        first.GetAttribute("from").Should().Be(server.Domain);
        first.GetAttribute("version").Should().Be("1.0");
        first.GetAttribute("id").Should().NotBeNullOrEmpty();
        afterTls.GetAttribute("from").Should().Be(server.Domain);
        // RFC 6120 §4.7.3: a restarted stream gets a new, unpredictable id.
        afterTls.GetAttribute("id").Should().NotBeNullOrEmpty().And.NotBe(first.GetAttribute("id"));
    }

    [Fact]
    public async Task OpenStream_UnknownTo_HostUnknown()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync(StreamAssert.Header(to: "elsewhere.example"));

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.HostUnknown);
        // RFC 6120 §4.9.1.2: the error comes inside a stream, so the server sent its header first.
        client.StreamHeader.Should().NotBeNull();
        client.StreamHeader!.GetAttribute("from").Should().Be(server.Domain);
    }

    [Fact]
    public async Task OpenStream_NoVersion_UnsupportedVersion()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync(StreamAssert.Header(version: null));

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.UnsupportedVersion);
    }

    [Fact]
    public async Task OpenStream_ServerContentNamespace_InvalidNamespace()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync(StreamAssert.Header(contentNs: "jabber:server"));

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.InvalidNamespace);
    }

    [Fact]
    public async Task OpenStream_WrongStreamNamespace_InvalidNamespace()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='localhost' version='1.0'>");

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.InvalidNamespace);
    }
}
