using Rookery.Protocol.Errors;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// XEP-0133 §4.3 Disable User in a cluster: an admin on one node disables an account whose sessions sit on both nodes;
/// every session ends, and neither node lets the account log in until it is re-enabled (the flag is in the shared database).
/// </summary>
[Trait("Category", "Slow")]
public sealed class DisableUserAcrossNodesTests
{
    private const string Commands = "http://jabber.org/protocol/commands";
    private const string Admin = "http://jabber.org/protocol/admin";

    [PostgresFact]
    public async Task DisableUser_OnOneNode_EndsSessionsEverywhere_RefusesLoginOnEveryNode_UntilReenabled()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("boss", "carol");
        var (a, b) = await cluster.StartTwoNodesWithAdminAsync("boss");
        var domain = TestCluster.Domain;
        await cluster.RunAsync(async () =>
        {
            var boss = await cluster.LoginAsync(a, "boss", "desk");
            var carolA = await cluster.LoginAsync(a, "carol", "laptop");
            var carolB = await cluster.LoginAsync(b, "carol", "phone");

            (await RunAsync(boss, "disable-user", $"carol@{domain}")).GetAttribute("type").Should().Be("result");

            (await carolA.ExpectStreamErrorAsync(TestCluster.Wait)).Should().Be(StreamErrorCondition.PolicyViolation);
            (await carolB.ExpectStreamErrorAsync(TestCluster.Wait)).Should().Be(StreamErrorCondition.PolicyViolation);
            var refused = await Assert.ThrowsAsync<AuthenticationFailedException>(() => cluster.AuthenticateAsync(b, "carol"));
            refused.Answer.Child("account-disabled", "urn:ietf:params:xml:ns:xmpp-sasl").Should().NotBeNull();

            (await RunAsync(boss, "reenable-user", $"carol@{domain}")).GetAttribute("type").Should().Be("result");
            var back = await cluster.LoginAsync(b, "carol", "phone");
            back.Jid!.Local.Should().Be("carol");
        });
    }

    /// <summary>Runs a one-form admin command at the host through execute then complete.</summary>
    private static async Task<Protocol.Xml.Element> RunAsync(RawXmppClient client, string command, string account)
    {
        var node = Admin + "#" + command;
        var form = await client.IqAsync($"<iq type='set' id='{command}1' to='{TestCluster.Domain}'><command xmlns='{Commands}' node='{node}' action='execute'/></iq>", command + "1");
        var sessionId = form.Child("command", Commands)!.GetAttribute("sessionid");
        return await client.IqAsync(
            $"<iq type='set' id='{command}2' to='{TestCluster.Domain}'><command xmlns='{Commands}' node='{node}' action='complete' sessionid='{sessionId}'>" +
            $"<x xmlns='jabber:x:data' type='submit'><field var='accountjids'><value>{account}</value></field></x></command></iq>",
            command + "2");
    }
}
