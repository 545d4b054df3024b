using Rookery.Hosting;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>Steps that the IM tests share: roster requests, logins with a priority, sync points and seeded subscriptions.</summary>
internal static class ImTestExtensions
{
    /// <summary>How long a "nothing arrives" check listens.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Reads until every predicate has matched its own element, whatever the order of arrival; elements that match
    /// none are passed over. Returns the matches in the order of the predicates.
    /// </summary>
    public static async Task<Element[]> ExpectAllAsync(this RawXmppClient client, params Func<Element, bool>[] predicates)
    {
        var found = new Element?[predicates.Length];
        var passedOver = new List<Element>();
        var deadline = DateTime.UtcNow + RawXmppClient.DefaultTimeout;
        while (Array.IndexOf(found, null) >= 0)
        {
            var left = deadline - DateTime.UtcNow;
            Element e;
            try
            {
                e = await client.NextAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            }
            catch (TimeoutException)
            {
                var missing = string.Join(", ", Enumerable.Range(0, predicates.Length).Where(i => found[i] is null));
                throw new TimeoutException($"{client.Jid}: predicates #{missing} never matched; passed over: {string.Join(" ", passedOver)}");
            }

            var slot = Enumerable.Range(0, predicates.Length).FirstOrDefault(i => found[i] is null && predicates[i](e), -1);
            if (slot >= 0)
            {
                found[slot] = e;
            }
            else
            {
                passedOver.Add(e);
            }
        }

        return found!;
    }

    /// <summary>Requests the roster (which makes the resource an interested one) and returns the reply.</summary>
    public static Task<Element> RosterGetAsync(this RawXmppClient client, string? ver = null, string id = "roster-get")
    {
        var verAttr = ver is null ? string.Empty : $" ver='{ver}'";
        return client.IqAsync($"<iq type='get' id='{id}'><query xmlns='jabber:iq:roster'{verAttr}/></iq>", id);
    }

    /// <summary>Sends a roster set with the given item XML; the caller waits for the reply and pushes.</summary>
    public static Task SendRosterSetAsync(this RawXmppClient client, string id, string itemsXml) =>
        client.SendAsync($"<iq type='set' id='{id}'><query xmlns='jabber:iq:roster'>{itemsXml}</query></iq>");

    /// <summary>
    /// A round trip through the client's own stream: the server handles a client's stanzas in order, so when the
    /// answer arrives, everything sent before has been routed (and stored). Passes over anything that arrives first.
    /// </summary>
    public static async Task SyncAsync(this RawXmppClient client)
    {
        var id = "sync-" + Guid.NewGuid().ToString("N");
        // Nobody handles this namespace: the server answers service-unavailable and changes no state.
        await client.IqAsync($"<iq type='get' id='{id}'><sync xmlns='urn:rookery:test:sync'/></iq>", id);
    }

    /// <summary>
    /// Like <see cref="SyncAsync"/>, but fails when anything matching <paramref name="forbidden"/> arrives before the
    /// sync answer: a deterministic "nothing came back" for stanzas this client sent before.
    /// </summary>
    public static async Task ExpectNoneUntilSyncAsync(this RawXmppClient client, Func<Element, bool> forbidden)
    {
        var id = "sync-" + Guid.NewGuid().ToString("N");
        await client.SendAsync($"<iq type='get' id='{id}'><sync xmlns='urn:rookery:test:sync'/></iq>");
        while (true)
        {
            var e = await client.NextAsync();
            if (e.Name == "iq" && e.GetAttribute("id") == id)
            {
                return;
            }

            if (forbidden(e))
            {
                throw new InvalidOperationException("Expected nothing before the sync answer, got " + e);
            }
        }
    }

    /// <summary>Logs in and sends initial presence with a priority; waits for its reflection.</summary>
    public static async Task<RawXmppClient> LoginWithPriorityAsync(this TestServer server, string user, string resource, int priority)
    {
        var client = await server.LoginAsync(user, resource: resource, sendPresence: false);
        await client.SendAsync($"<presence><priority>{priority}</priority></presence>");
        await client.WaitForAsync(Match.Presence(client.Jid!.ToString()));
        return client;
    }

    /// <summary>The bare JID of a user on the server's domain, as text.</summary>
    public static string Bare(this TestServer server, string user) => $"{user}@{server.Domain}";

    /// <summary>
    /// Writes a subscription straight into storage, on both rosters consistently: <paramref name="user"/>'s item for
    /// <paramref name="contact"/> gets <paramref name="state"/>, the contact's item for the user its mirror image.
    /// </summary>
    public static async Task SeedSubscriptionAsync(this TestServer server, string user, string contact, Subscription state)
    {
        var mirror = (Subscription)((((int)state & 1) << 1) | (((int)state & 2) >> 1));
        await server.Storage.Rosters.SetItemAsync(server.Bare(user), new RosterItem(server.Bare(contact), null, state, false, []));
        await server.Storage.Rosters.SetItemAsync(server.Bare(contact), new RosterItem(server.Bare(user), null, mirror, false, []));
    }

    /// <summary>
    /// Replaces the offline storage settings. <see cref="RookeryOptions.Offline"/> is init-only (options are bound once
    /// from configuration) and TestServer takes no offline settings, so the init accessor is called through reflection.
    /// </summary>
    public static void SetOffline(this RookeryOptions options, OfflineOptions offline) =>
        typeof(RookeryOptions).GetProperty(nameof(RookeryOptions.Offline))!.SetValue(options, offline);
}
