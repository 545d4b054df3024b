using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>
/// RFC 6121 behaviour the Smack interop suites (SINT) check and Rookery got wrong before the audit in
/// docs/dev/core-sint-audit.md: presence to an account that does not exist.
/// </summary>
public sealed class CoreSintAuditTests
{
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
