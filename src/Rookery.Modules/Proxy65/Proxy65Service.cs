using System.Globalization;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;

namespace Rookery.Modules.Proxy65;

/// <summary>
/// The SOCKS5 Bytestreams proxy of one host on its own domain (XEP-0065 §4, §6), such as <c>proxy.example.com</c>:
/// answers disco with the <c>proxy/bytestreams</c> identity, tells allowed users this node's streamhost (its own address
/// and port), and activates a stream whose two connections wait on this node's <see cref="BytestreamRegistry"/>.
/// </summary>
public sealed partial class Proxy65Service : IqService
{
    /// <summary>The XEP-0065 namespace.</summary>
    public const string Namespace = "http://jabber.org/protocol/bytestreams";

    /// <summary>The service's name in its disco identity and in the host's items.</summary>
    public const string DisplayName = "SOCKS5 Bytestreams Proxy";

    private const string DiscoInfoNs = "http://jabber.org/protocol/disco#info";
    private const string DiscoItemsNs = "http://jabber.org/protocol/disco#items";

    // How long an activation waits for a success reply still being flushed when both parties are connected; the reply
    // is a few bytes into a socket that just connected, so this is only ever reached by a connection that died meanwhile.
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(2);

    private readonly string _host;
    private readonly Proxy65Options _options;
    private readonly Proxy65Listener _listener;
    private readonly BytestreamRegistry _registry;
    private readonly HostRegistry _hosts;
    private readonly ILogger _logger;

    /// <summary>Creates the proxy of <paramref name="host"/> on <paramref name="domain"/>.</summary>
    public Proxy65Service(Jid domain, string host, Proxy65Options options, Proxy65Listener listener, BytestreamRegistry registry, HostRegistry hosts, Router router, ILogger logger)
        : base(domain, router)
    {
        _host = host;
        _options = options;
        _listener = listener;
        _registry = registry;
        _hosts = hosts;
        _logger = logger;
    }

    /// <inheritdoc />
    protected override async ValueTask HandleIqAsync(Stanza stanza, Element payload)
    {
        var type = stanza.Type;
        Element? result;
        switch (payload.Namespace, payload.Name, type)
        {
            case (DiscoInfoNs, "query", "get") when payload.GetAttribute("node") is null:
                result = Info();
                break;
            case (DiscoItemsNs, "query", "get") when payload.GetAttribute("node") is null:
                result = new Element("query", DiscoItemsNs);
                break;
            case (DiscoInfoNs or DiscoItemsNs, "query", "get"):
                await Router.BounceAsync(stanza, StanzaErrorCondition.ItemNotFound);
                return;
            case (Namespace, "query", "get"):
                if (!MayUse(stanza.From))
                {
                    await Router.BounceAsync(stanza, StanzaErrorCondition.Forbidden, $"This proxy serves the users of {_host} only");
                    return;
                }

                result = StreamHost();
                break;
            case (Namespace, "query", "set"):
                if (!await TryActivateAsync(stanza, payload))
                {
                    return;
                }

                result = null;
                break;
            default:
                // As the router does for an iq no module claims (RFC 6120 §8.2.3).
                await Router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable);
                return;
        }

        var reply = new Element("iq", stanza.Element.Namespace).SetAttribute("type", "result").SetAttribute("id", stanza.Element.GetAttribute("id"));
        if (result is not null)
        {
            reply.Add(result);
        }

        await Router.RouteAsync(reply, stanza.To, stanza.From);
    }

    /// <summary>XEP-0065 §4: the <c>proxy/bytestreams</c> identity and the feature.</summary>
    private static Element Info()
    {
        var query = new Element("query", DiscoInfoNs);
        query.AddChild("identity").SetAttribute("category", "proxy").SetAttribute("type", "bytestreams").SetAttribute("name", DisplayName);
        query.AddChild("feature").SetAttribute("var", DiscoInfoNs);
        query.AddChild("feature").SetAttribute("var", DiscoItemsNs);
        query.AddChild("feature").SetAttribute("var", Namespace);
        return query;
    }

    /// <summary>XEP-0065 §4: this node's listener, so that the parties connect to the node that will relay their stream.</summary>
    private Element StreamHost()
    {
        var query = new Element("query", Namespace);
        query.AddChild("streamhost")
            .SetAttribute("jid", Domain.ToString())
            .SetAttribute("host", _listener.HostFor(_host))
            .SetAttribute("port", _listener.Port.ToString(CultureInfo.InvariantCulture));
        return query;
    }

    /// <summary>
    /// XEP-0065 §6.3.5: activates the stream named by the sid, the sender (the requester) and the target; on failure
    /// answers with the error the XEP defines and returns false.
    /// </summary>
    private async ValueTask<bool> TryActivateAsync(Stanza stanza, Element query)
    {
        if (!MayUse(stanza.From))
        {
            await Router.BounceAsync(stanza, StanzaErrorCondition.Forbidden, $"This proxy serves the users of {_host} only");
            return false;
        }

        var sid = query.GetAttribute("sid");
        var activate = query.Child("activate", Namespace);
        if (string.IsNullOrEmpty(sid) || activate is null)
        {
            await Router.BounceAsync(stanza, StanzaErrorCondition.BadRequest, "An activation needs a sid attribute and an <activate/> element");
            return false;
        }

        if (!Jid.TryParse(activate.Text.Trim(), out var target))
        {
            await Router.BounceAsync(stanza, StanzaErrorCondition.BadRequest, "The <activate/> element must hold the target's JID");
            return false;
        }

        // The hash proves the sender is the requester: with any other from address it names no stream (XEP-0065 §6.3.5).
        var hash = StreamHash.Compute(sid, stanza.From, target);
        var outcome = await _registry.ActivateAsync(hash, ReadyWait);
        Log.Activation(_logger, hash, stanza.From, target, outcome);
        switch (outcome)
        {
            case ActivationOutcome.Activated:
                return true;
            case ActivationOutcome.NotFound:
                await Router.BounceAsync(stanza, StanzaErrorCondition.ItemNotFound, "No connection on this proxy is waiting for that stream from you (sid, requester and target must match the SOCKS5 hash)");
                return false;
            case ActivationOutcome.OnlyOneConnected:
                await Router.BounceAsync(stanza, StanzaErrorCondition.NotAllowed, "Only one party of the stream is connected to the proxy");
                return false;
            default:
                await Router.BounceAsync(stanza, StanzaErrorCondition.NotAllowed, "The stream is active already");
                return false;
        }
    }

    /// <summary>Who may use the proxy (<see cref="Proxy65Options.Access"/>).</summary>
    private bool MayUse(Jid from) => _options.Access switch
    {
        Proxy65Options.AllAccess => true,
        Proxy65Options.LocalAccess => from.Local is not null && _hosts.IsLocal(from.Domain),
        _ => from.Local is not null && string.Equals(from.Domain, _host, StringComparison.Ordinal),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 5520, Level = LogLevel.Information, Message = "Bytestream {Hash} activation by {Requester} for {Target}: {Outcome}")]
        public static partial void Activation(ILogger logger, string hash, Jid requester, Jid target, ActivationOutcome outcome);
    }
}
