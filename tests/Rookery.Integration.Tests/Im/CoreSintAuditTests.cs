using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>
/// RFC 6121 behaviour the Smack interop suites (SINT) check and Rookery got wrong before the audit in
/// docs/dev/core-sint-audit.md: stanzas to a resource that is not online, and presence to an account that does not
/// exist.
/// </summary>
public sealed class CoreSintAuditTests
{
    [Theory]
    [InlineData("normal")]
    [InlineData(null)]
    public async Task NormalMessage_ToFullJidOfOfflineResource_NotDeliveredToOtherResources(string? type)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var phone = await server.LoginAsync("bob", resource: "phone");
        var typeAttr = type is null ? string.Empty : $" type='{type}'";

        await alice.SendAsync($"<message to='{server.Bare("bob")}/laptop'{typeAttr} id='n1'><body>for the laptop</body></message>");
        await alice.SyncAsync();
        await alice.SendAsync($"<message to='{phone.Jid}' type='chat' id='stop'><body>stop</body></message>");

        // RFC 6121 §8.5.3.2.1: "For a message stanza of type normal, groupchat, or headline, the server MUST either
        // (a) silently ignore the stanza or (b) return an error stanza to the sender"; only chat is handled as if sent
        // to the bare JID (SINT RFC6121Section8_5_3_2_1_MessageIntegrationTest.testNormal*).
        var first = await phone.WaitForAsync(Match.AnyMessage);
        first.GetAttribute("id").Should().Be("stop", "the normal message for the offline laptop must not reach the phone");
    }

    [Fact]
    public async Task NormalMessage_ToFullJidOfOfflineResource_SenderGetsServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var phone = await server.LoginAsync("bob", resource: "phone");

        await alice.SendAsync($"<message to='{server.Bare("bob")}/laptop' id='n1'><body>for the laptop</body></message>");

        // The §8.5.3.2.1 choice Rookery makes, as for groupchat: the sender learns that the resource is gone.
        var error = await alice.WaitForAsync(Match.Error("message", "n1"));
        error.GetAttribute("from").Should().Be($"{server.Bare("bob")}/laptop");
        Match.Condition(error).Should().Be("service-unavailable");
    }

    [Theory]
    [InlineData("subscribe", "")]
    [InlineData("subscribe", "/res")]
    [InlineData("subscribed", "")]
    [InlineData("unsubscribe", "")]
    [InlineData("unsubscribed", "/res")]
    [InlineData("probe", "")]
    [InlineData(null, "")]
    [InlineData("unavailable", "/res")]
    public async Task Presence_ToNonexistentAccount_IsSilentlyIgnored(string? type, string resource)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var typeAttr = type is null ? string.Empty : $" type='{type}'";

        await alice.SendAsync($"<presence to='{server.Bare("ghost")}{resource}'{typeAttr} id='p1'/>");

        // RFC 6121 §8.5.1: presence with no type, unavailable, or any subscription type to an account that does not
        // exist MUST be silently ignored; a probe may be ignored or answered with unsubscribed
        // (SINT RFC6121Section8_5_1_IntegrationTest.testLocalDomainNoSuchUserPresence*).
        await alice.ExpectNoneUntilSyncAsync(e => e.Name == "presence" && e.GetAttribute("from")!.StartsWith(server.Bare("ghost"), StringComparison.Ordinal));
    }
}
