using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// XEP-0133 §4.24 to §4.26 in a cluster: the message of the day set through one node greets logins on the other, and a
/// change or deletion through the first node reaches the second although the second cached the old message.
/// </summary>
[Trait("Category", "Slow")]
public sealed class MotdAcrossNodesTests
{
    private const string Commands = "http://jabber.org/protocol/commands";
    private const string Admin = "http://jabber.org/protocol/admin";

    [PostgresFact]
    public async Task Motd_SetChangedDeletedOnOneNode_SeenAtLoginOnTheOther()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("boss", "carol");
        var (a, b) = await cluster.StartTwoNodesWithAdminAsync("boss");
        var domain = TestCluster.Domain;
        static bool IsMotd(Element e) => e.Name == "message" && e.GetAttribute("from") == TestCluster.Domain;
        static async Task<Element> GreetingAsync(RawXmppClient client) => client.Skipped.FirstOrDefault(IsMotd) ?? await client.WaitForAsync(IsMotd, TestCluster.Wait);
        await cluster.RunAsync(async () =>
        {
            var boss = await cluster.LoginAsync(a, "boss", "desk");

            await SetAsync(boss, "set-motd", "Hello from node a");
            var first = await cluster.LoginAsync(b, "carol", "one");
            (await GreetingAsync(first)).ChildText("body", "jabber:client").Should().Be("Hello from node a");

            // Node b now has the message cached; the change through node a must replace it there.
            await SetAsync(boss, "set-motd", "Changed");
            var second = await cluster.LoginAsync(b, "carol", "two");
            (await GreetingAsync(second)).ChildText("body", "jabber:client").Should().Be("Changed");

            var deleted = await boss.IqAsync($"<iq type='set' id='del' to='{domain}'><command xmlns='{Commands}' node='{Admin}#delete-motd' action='execute'/></iq>", "del");
            deleted.Child("command", Commands)!.GetAttribute("status").Should().Be("completed");
            var third = await cluster.LoginAsync(b, "carol", "three");
            third.Skipped.Where(IsMotd).Should().BeEmpty();
            await third.ExpectNothingAsync(TimeSpan.FromSeconds(1), IsMotd);
        });
    }

    /// <summary>Runs set-motd through execute then complete.</summary>
    private static async Task SetAsync(RawXmppClient client, string command, string text)
    {
        var node = Admin + "#" + command;
        var id = Guid.NewGuid().ToString("N");
        var form = await client.IqAsync($"<iq type='set' id='{id}' to='{TestCluster.Domain}'><command xmlns='{Commands}' node='{node}' action='execute'/></iq>", id);
        var sessionId = form.Child("command", Commands)!.GetAttribute("sessionid");
        var done = await client.IqAsync(
            $"<iq type='set' id='{id}2' to='{TestCluster.Domain}'><command xmlns='{Commands}' node='{node}' action='complete' sessionid='{sessionId}'>" +
            $"<x xmlns='jabber:x:data' type='submit'><field var='motd'><value>{text}</value></field></x></command></iq>",
            id + "2");
        done.Child("command", Commands)!.GetAttribute("status").Should().Be("completed");
    }
}
