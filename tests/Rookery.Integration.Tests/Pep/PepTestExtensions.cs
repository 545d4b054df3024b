using Rookery.Modules.Caps;
using Rookery.Modules.Disco;
using Rookery.Modules.Pep;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Pep;

/// <summary>Steps the PEP tests share: logins that announce entity capabilities and answer the server's disco#info query.</summary>
internal static class PepTestExtensions
{
    /// <summary>
    /// Logs in, sends initial presence with a caps element for <paramref name="features"/> (a fresh hash, thanks to a
    /// unique identity name), answers the server's disco#info query for it (XEP-0115 §6.2) and waits until the server
    /// has taken the answer: from then on the server knows the resource's features.
    /// </summary>
    public static async Task<RawXmppClient> LoginWithCapsAsync(this TestServer server, string user, string resource, params string[] features)
    {
        var client = await server.LoginAsync(user, resource: resource, sendPresence: false);
        var node = "https://rookery.test/client";
        var info = new Element("query", DiscoModule.InfoNamespace);
        info.AddChild("identity").SetAttribute("category", "client").SetAttribute("type", "pc").SetAttribute("name", "test " + Guid.NewGuid().ToString("N"));
        foreach (var feature in features.Append(DiscoModule.InfoNamespace).Append(EntityCapabilities.Namespace).Distinct())
        {
            info.AddChild("feature").SetAttribute("var", feature);
        }

        var ver = CapsHash.Compute(info, "sha-1")!;
        await client.SendAsync($"<presence><c xmlns='{EntityCapabilities.Namespace}' hash='sha-1' node='{node}' ver='{ver}'/></presence>");
        var query = await client.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("type") == "get" &&
            e.Child("query", DiscoModule.InfoNamespace)?.GetAttribute("node") == node + "#" + ver);
        query.GetAttribute("from").Should().Be(client.Jid!.Bare.ToString(), "XEP-0115 §6.2: the server asks from the account");
        var answer = info.Clone().SetAttribute("node", node + "#" + ver);
        var reply = new Element("iq", Ns.Client).SetAttribute("type", "result").SetAttribute("id", query.GetAttribute("id")).SetAttribute("to", query.GetAttribute("from"));
        reply.Add(answer);
        await client.SendAsync(reply.ToString());
        // The answer is handled on this client's own stream before anything it sends later.
        await Im.ImTestExtensions.SyncAsync(client);
        return client;
    }

    /// <summary>
    /// The first element that matches, among those an earlier wait passed over (a notification that arrived before the
    /// reply the client waited for) or else the next ones to arrive.
    /// </summary>
    public static Task<Element> ReceivedAsync(this RawXmppClient client, Func<Element, bool> match)
    {
        var earlier = client.Skipped.FirstOrDefault(match);
        return earlier is not null ? Task.FromResult(earlier) : client.WaitForAsync(match);
    }

    /// <summary>A publish request for one item of a node, with optional publish options (field var → value).</summary>
    public static string Publish(string node, string? id, string payload, params (string Var, string Value)[] options)
    {
        var idAttr = id is null ? string.Empty : $" id='{id}'";
        var xml = $"<pubsub xmlns='{PepModule.Namespace}'><publish node='{node}'><item{idAttr}>{payload}</item></publish>";
        if (options.Length > 0)
        {
            xml += "<publish-options><x xmlns='jabber:x:data' type='submit'>" +
                $"<field var='FORM_TYPE' type='hidden'><value>{NodeConfig.PublishOptionsFormType}</value></field>";
            foreach (var (name, value) in options)
            {
                xml += $"<field var='{name}'><value>{value}</value></field>";
            }

            xml += "</x></publish-options>";
        }

        return xml + "</pubsub>";
    }

    /// <summary>An items request for a node.</summary>
    public static string Items(string node, string extra = "") => $"<pubsub xmlns='{PepModule.Namespace}'><items node='{node}'{extra}/></pubsub>";

    /// <summary>Matches a PEP notification from <paramref name="owner"/> about <paramref name="node"/>.</summary>
    public static Func<Element, bool> Event(string owner, string node) => e =>
        e.Name == "message" && e.GetAttribute("from") == owner &&
        e.Child("event", PepModule.EventNamespace)?.Child("items", PepModule.EventNamespace)?.GetAttribute("node") == node;

    /// <summary>The items of an event or items result, as (id, payload text).</summary>
    public static List<string> ItemIds(Element items)
    {
        var ids = new List<string>();
        foreach (var child in items.Elements())
        {
            if (child.Name == "item")
            {
                ids.Add(child.GetAttribute("id")!);
            }
        }

        return ids;
    }
}
