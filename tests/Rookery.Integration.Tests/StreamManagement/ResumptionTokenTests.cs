using System.Buffers.Text;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.StreamManagement;

/// <summary>
/// Location-independent resumption ids (XEP-0198 §5 across a cluster): they name the owning node, verify on every node
/// holding the same key, and anything else — altered, truncated, another key, garbage — is refused with
/// <c>item-not-found</c> and never an exception.
/// </summary>
public sealed class ResumptionTokenTests
{
    private const string Sm = "urn:xmpp:sm:3";

    [Fact]
    public void TryRead_TokenOfAnotherNodeWithTheClusterKey_NamesThatNode()
    {
        var a = new ResumptionTokens();
        a.UseCluster("cluster-secret", () => 41);
        var b = new ResumptionTokens();
        b.UseCluster("cluster-secret", () => 42);

        var token = a.Create();

        b.TryRead(token, out var node).Should().BeTrue();
        node.Should().Be(41);
        a.TryRead(b.Create(), out node).Should().BeTrue();
        node.Should().Be(42);
    }

    [Fact]
    public void Create_IsUnguessable_TwoTokensDiffer()
    {
        var tokens = new ResumptionTokens();

        tokens.Create().Should().NotBe(tokens.Create());
    }

    [Fact]
    public void TryRead_OtherClusterSecret_IsRefused()
    {
        var ours = new ResumptionTokens();
        ours.UseCluster("cluster-secret", () => 7);
        var theirs = new ResumptionTokens();
        theirs.UseCluster("another-secret", () => 7);

        ours.TryRead(theirs.Create(), out _).Should().BeFalse();
    }

    [Fact]
    public void TryRead_EveryAlteredByte_IsRefused()
    {
        var tokens = new ResumptionTokens();
        tokens.UseCluster("cluster-secret", () => 3);
        var bytes = Base64Url.DecodeFromChars(tokens.Create());

        for (var i = 0; i < bytes.Length; i++)
        {
            var forged = (byte[])bytes.Clone();
            forged[i] ^= 0x01;
            tokens.TryRead(Base64Url.EncodeToString(forged), out _).Should().BeFalse($"byte {i} was altered");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("nope")]
    [InlineData("!!!!not base64!!!!")]
    [InlineData("AQAAAAAAAAAD")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void TryRead_Garbage_IsRefused(string token)
    {
        var tokens = new ResumptionTokens();

        tokens.TryRead(token, out _).Should().BeFalse();
    }

    [Fact]
    public void TryRead_NodeIdOnlyChanged_IsRefused()
    {
        // Moving a session "to another node" by rewriting the node id field must break the MAC.
        var tokens = new ResumptionTokens();
        tokens.UseCluster("cluster-secret", () => 5);
        var bytes = Base64Url.DecodeFromChars(tokens.Create());
        bytes[8] = 6; // the low byte of the big-endian node id

        tokens.TryRead(Base64Url.EncodeToString(bytes), out _).Should().BeFalse();
    }

    [Fact]
    public async Task Enabled_Id_NamesThisNode()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice", sendPresence: false);

        var id = (await EnableAsync(alice)).GetAttribute("id")!;

        var lifecycle = (SessionLifecycle)server.Services.GetService(typeof(SessionLifecycle))!;
        lifecycle.Tokens.TryRead(id, out var node).Should().BeTrue();
        node.Should().Be(lifecycle.Tokens.NodeId);
    }

    [Fact]
    public async Task Resume_ForgedId_FailsWithItemNotFound_AndTheSessionStaysResumable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var alice = await server.LoginAsync("alice", sendPresence: false);
        var id = (await EnableAsync(alice)).GetAttribute("id")!;
        alice.Abort();
        var bytes = Base64Url.DecodeFromChars(id);
        bytes[^1] ^= 0x80;
        var forged = Base64Url.EncodeToString(bytes);

        await using (var mallory = await server.AuthenticateAsync("alice"))
        {
            await mallory.SendAsync($"<resume xmlns='{Sm}' previd='{forged}' h='0'/>");
            var failed = await mallory.ExpectAsync("failed", Sm);
            failed.Child("item-not-found", Ns.StanzaErrors).Should().NotBeNull();
            // The stream goes on: the client may bind a new resource (XEP-0198 §5).
            (await mallory.BindAsync("fresh")).Resource.Should().Be("fresh");
        }

        // The real id still resumes the session.
        await using var again = await server.AuthenticateAsync("alice");
        await again.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");
        (await again.ExpectAsync("resumed", Sm)).GetAttribute("previd").Should().Be(id);
    }

    [Fact]
    public async Task Resume_IdIssuedByAnotherServer_FailsWithItemNotFound()
    {
        await using var first = await TestServer.StartAsync();
        await using var second = await TestServer.StartAsync();
        await first.CreateUserAsync("alice");
        await second.CreateUserAsync("alice");
        await using var alice = await first.LoginAsync("alice", sendPresence: false);
        var id = (await EnableAsync(alice)).GetAttribute("id")!;

        await using var elsewhere = await second.AuthenticateAsync("alice");
        await elsewhere.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");

        var failed = await elsewhere.ExpectAsync("failed", Sm);
        failed.Child("item-not-found", Ns.StanzaErrors).Should().NotBeNull();
        (await elsewhere.BindAsync("r")).Resource.Should().Be("r");
    }

    private static async Task<Element> EnableAsync(RawXmppClient client)
    {
        await client.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        return await client.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm);
    }
}
