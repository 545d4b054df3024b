using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Rookery.Modules.Caps;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.Disco;

/// <summary>
/// Service Discovery (XEP-0030): disco#info of the host lists the server identity and exactly the features of the
/// modules enabled on that host, plus the configured contact addresses as an extended-information form (XEP-0128,
/// XEP-0157); disco#info of an account's bare JID gives the account identity and the account features of the enabled
/// modules (and their account identities, such as XEP-0163's pubsub/pep); disco#items of the host lists the services
/// the enabled modules run there (the MUC service), of an account what the enabled modules provide there (PEP nodes).
/// The host's disco#info is also announced as the server's own entity capabilities in the post-authentication stream
/// features (XEP-0115 §6.3), and the host lists the caps feature. Requests to a bare JID follow XEP-0030 §8: disco#info
/// is service-unavailable to anyone not allowed to see the account's presence (the account itself, or a contact with a
/// 'from' or 'both' subscription), disco#items is an empty result for them and for an account that does not exist.
/// </summary>
[Xep(30, "2.5rc3", XepStatus.Partial, Note = "Nodes only where a module adds them (host: ad-hoc commands; accounts: the XEP-0013 offline node and PEP nodes)")]
[Xep(128, "1.0")]
[Xep(157, "1.0")]
public sealed class DiscoModule : IXmppModule
{
    /// <summary>The disco#info namespace.</summary>
    public const string InfoNamespace = "http://jabber.org/protocol/disco#info";

    /// <summary>The disco#items namespace.</summary>
    public const string ItemsNamespace = "http://jabber.org/protocol/disco#items";

    /// <summary>The data forms namespace (XEP-0004).</summary>
    public const string DataFormsNamespace = "jabber:x:data";

    /// <summary>The FORM_TYPE of the server information form (XEP-0128 §4, XEP-0157 §3).</summary>
    public const string ServerInfoFormType = "http://jabber.org/network/serverinfo";

    /// <summary>The <c>node</c> of the server's own caps (XEP-0115 §6.3): a URI naming this software.</summary>
    public const string ServerCapsNode = "urn:rookery:server";

    /// <summary>The hash function of the server's own caps: SHA-1, the one every client must support (XEP-0115 §5.1).</summary>
    public const string ServerCapsHash = "sha-1";

    private readonly Element? _serverInfo;
    private readonly IRosterStore _rosters;
    private readonly ConcurrentDictionary<string, Element?> _serverCaps = new(StringComparer.Ordinal);
    private IModuleBuilder? _modules;

    /// <summary>Builds the contact address form once from the options.</summary>
    public DiscoModule(IOptions<DiscoOptions> options, IRosterStore rosters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rosters);
        _serverInfo = BuildServerInfo(options.Value.ContactAddresses);
        _rosters = rosters;
    }

    /// <inheritdoc />
    public string Name => "disco";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        _modules = builder;
        builder.AddFeature(InfoNamespace);
        builder.AddFeature(ItemsNamespace);
        // XEP-0115 §6.3 and its "Determining Support": the host announces caps in its stream features (ServerCaps), so
        // it lists the caps feature too; clients (Smack's EntityCapsManager) look for it before they trust that element.
        builder.AddFeature(EntityCapabilities.Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Host | IqTarget.Bare, InfoNamespace, "query", OnInfo);
        builder.AddStreamFeature(ServerCaps);
        builder.HandleIq(IqType.Get, IqTarget.Host | IqTarget.Bare | IqTarget.AbsentAccount, ItemsNamespace, "query", OnItemsAsync);
    }

    private async ValueTask<IqResult> OnInfo(IqContext iq)
    {
        // XEP-0030 §8: the server answers for an account only to those allowed to see its presence, with or without a
        // node; the others get the same service-unavailable as for an account that does not exist (the session manager's).
        if (iq.To.Local is not null && !await MaySeePresenceAsync(iq).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable);
        }

        if (await TryNodeAsync(iq, InfoNamespace).ConfigureAwait(false) is { } nodeQuery)
        {
            return IqResult.With(nodeQuery);
        }

        var query = new Element("query", InfoNamespace);
        if (iq.To.Local is null)
        {
            AddHostInfo(query, iq.To.Domain);
        }
        else
        {
            // XEP-0030 §3.1 and the registry's account/registered identity: the server answers for the account, with
            // the features it provides at the bare JID (XEP-0313 §6: message archives). The session manager has already
            // refused accounts that do not exist.
            query.AddChild("identity").SetAttribute("category", "account").SetAttribute("type", "registered");
            foreach (var (category, type) in _modules!.AccountIdentitiesFor(iq.To.Domain))
            {
                query.AddChild("identity").SetAttribute("category", category).SetAttribute("type", type);
            }

            var features = new SortedSet<string>(_modules!.AccountFeaturesFor(iq.To.Domain), StringComparer.Ordinal) { InfoNamespace };
            foreach (var feature in features)
            {
                query.AddChild("feature").SetAttribute("var", feature);
            }
        }

        return IqResult.With(query);
    }

    /// <summary>The host's identity, the features of the modules enabled on it, and the XEP-0157 form.</summary>
    private void AddHostInfo(Element query, string domain)
    {
        query.AddChild("identity").SetAttribute("category", "server").SetAttribute("type", "im").SetAttribute("name", "Rookery");
        // Sorted and without duplicates: two modules may declare the same feature, and a stable order keeps
        // XEP-0115 hashes and test expectations simple.
        var features = new SortedSet<string>(_modules!.FeaturesFor(domain), StringComparer.Ordinal);
        foreach (var feature in features)
        {
            query.AddChild("feature").SetAttribute("var", feature);
        }

        if (_serverInfo is not null)
        {
            query.Add(_serverInfo.Clone());
        }
    }

    /// <summary>
    /// The server's own caps element for a host (XEP-0115 §6.3): the SHA-1 <c>ver</c> of exactly what disco#info
    /// answers on that host, so a host with other modules enabled gets another hash. Module sets are fixed once the
    /// server runs, so each host's element is computed once, on its first stream.
    /// </summary>
    private Element? ServerCaps(string domain) =>
        _serverCaps.GetOrAdd(domain, d =>
        {
            var query = new Element("query", InfoNamespace);
            AddHostInfo(query, d);
            return CapsHash.Compute(query, ServerCapsHash) is { } ver
                ? new Element("c", EntityCapabilities.Namespace).SetAttribute("hash", ServerCapsHash).SetAttribute("node", ServerCapsNode).SetAttribute("ver", ver)
                : null;
        });

    private async ValueTask<IqResult> OnItemsAsync(IqContext iq)
    {
        // XEP-0030 §8: an empty result set for an account that does not exist, node or not (rather than an error that
        // would tell it apart from an account with no items).
        if (iq.Target == IqTarget.AbsentAccount)
        {
            return IqResult.With(EmptyItems(iq));
        }

        if (await TryNodeAsync(iq, ItemsNamespace).ConfigureAwait(false) is { } nodeQuery)
        {
            return IqResult.With(nodeQuery);
        }

        var query = new Element("query", ItemsNamespace);
        if (iq.To.Local is null)
        {
            // XEP-0030 §4 at the host: the services the enabled modules run (XEP-0045 §6.1: the MUC service).
            foreach (var provider in _modules!.HostItemsFor(iq.To.Domain))
            {
                foreach (var item in provider(iq.To.Domain))
                {
                    query.Add(item);
                }
            }
        }
        else if (await MaySeePresenceAsync(iq).ConfigureAwait(false))
        {
            // XEP-0030 §4 at an account: what the enabled modules list there (XEP-0163 §6.1: the PEP nodes the requester
            // may see). §8 would allow items other than resources to anyone; like Prosody and ejabberd, only those who
            // may see the account's presence get them, so that a stranger learns nothing from the answer.
            foreach (var provider in _modules!.AccountItemsFor(iq.To.Domain))
            {
                foreach (var item in await provider(iq.To.Bare, iq.From, iq.Cancellation).ConfigureAwait(false))
                {
                    query.Add(item);
                }
            }
        }

        return IqResult.With(query);
    }

    /// <summary>
    /// Whether the requester may see the presence of the account it asks about (XEP-0030 §8): the account itself, or a
    /// contact the account's roster gives a 'from' or 'both' subscription (RFC 6121 §2.1.2.1). Read from the shared
    /// roster store, so every cluster node answers alike.
    /// </summary>
    private async ValueTask<bool> MaySeePresenceAsync(IqContext iq)
    {
        if (iq.IsSelf)
        {
            return true;
        }

        var item = await _rosters.GetItemAsync(iq.To.Bare.ToString(), iq.From.Bare.ToString(), iq.Cancellation).ConfigureAwait(false);
        return item is not null && (item.Subscription & Subscription.From) != 0;
    }

    /// <summary>An empty disco#items result, mirroring the node asked about (XEP-0030 §4.2).</summary>
    private static Element EmptyItems(IqContext iq)
    {
        var query = new Element("query", ItemsNamespace);
        if (iq.Payload.GetAttribute("node") is { } node)
        {
            query.SetAttribute("node", node);
        }

        return query;
    }

    /// <summary>
    /// Answers a request that names a node with the handler a module added for it on this host or its accounts (XEP-0030 §3.2, §4.2);
    /// returns null for a request without a node. A node no enabled module has is item-not-found.
    /// </summary>
    private async ValueTask<Element?> TryNodeAsync(IqContext iq, string ns)
    {
        if (iq.Payload.GetAttribute("node") is not { } node)
        {
            return null;
        }

        // XEP-0115 §6.2: a query for node#ver of the caps the server announced is answered with the host's information.
        if (ns == InfoNamespace && iq.To.Local is null && ServerCaps(iq.To.Domain) is { } caps &&
            node == ServerCapsNode + "#" + caps.GetAttribute("ver"))
        {
            var info = new Element("query", ns).SetAttribute("node", node);
            AddHostInfo(info, iq.To.Domain);
            return info;
        }

        var handler = iq.To.Local is null ? _modules!.FindDiscoNode(iq.To.Domain, node) : _modules!.FindAccountDiscoNode(iq.To.Domain, node);
        if (handler is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        }

        var query = new Element("query", ns).SetAttribute("node", node);
        await handler(iq, query).ConfigureAwait(false);
        return query;
    }

    /// <summary>The XEP-0157 form, or null when no address is configured.</summary>
    internal static Element? BuildServerInfo(ContactAddressesOptions addresses)
    {
        Element? form = null;
        foreach (var (_, field, values) in addresses.Lists())
        {
            if (values.Count == 0)
            {
                continue;
            }

            if (form is null)
            {
                form = new Element("x", DataFormsNamespace).SetAttribute("type", "result");
                form.AddChild("field").SetAttribute("var", "FORM_TYPE").SetAttribute("type", "hidden")
                    .AddChild("value").AddText(ServerInfoFormType);
            }

            // The registry (XEP-0157 §6) declares these fields list-multi; without a type, a form reader would take
            // text-single, which cannot hold several values (XEP-0004 §3.3).
            var f = form.AddChild("field").SetAttribute("var", field).SetAttribute("type", "list-multi");
            foreach (var value in values)
            {
                f.AddChild("value").AddText(value);
            }
        }

        return form;
    }
}
