using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Server.Modules;

/// <summary>
/// Collects what the enabled modules declare and dispatches iq requests to their handlers. An iq get or set that no
/// handler claims is answered with <c>service-unavailable</c> (RFC 6120 §8.2.3, as Prosody's stanza router does).
/// </summary>
public sealed partial class ModuleRegistry : IModuleBuilder
{
    private readonly Dictionary<(IqType, string Ns, string Name), (IqTarget Targets, IqHandler Handler)> _iq = [];
    private readonly List<string> _features = [];
    private readonly List<(string Name, string Ns)> _streamFeatures = [];
    private readonly ILogger<ModuleRegistry> _logger;

    /// <summary>Configures every module once.</summary>
    public ModuleRegistry(IEnumerable<IXmppModule> modules, ILogger<ModuleRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(modules);
        _logger = logger;
        var names = new List<string>();
        foreach (var m in modules)
        {
            m.Configure(this);
            names.Add(m.Name);
        }

        ModuleNames = names;
    }

    /// <summary>The names of the configured modules.</summary>
    public IReadOnlyList<string> ModuleNames { get; }

    /// <summary>The disco#info features the modules declared.</summary>
    public IReadOnlyList<string> Features => _features;

    /// <summary>Stream features offered after authentication.</summary>
    public IReadOnlyList<(string Name, string Ns)> StreamFeatures => _streamFeatures;

    void IModuleBuilder.AddFeature(string feature)
    {
        if (!_features.Contains(feature))
        {
            _features.Add(feature);
        }
    }

    void IModuleBuilder.AddStreamFeature(string name, string ns) => _streamFeatures.Add((name, ns));

    void IModuleBuilder.HandleIq(IqType type, IqTarget targets, string ns, string name, IqHandler handler)
    {
        if (!_iq.TryAdd((type, ns, name), (targets, handler)))
        {
            throw new InvalidOperationException($"Two modules handle iq {type} <{name} xmlns='{ns}'/>");
        }
    }

    /// <summary>
    /// Handles an iq addressed to <paramref name="target"/> (the host or a local bare JID) and routes the answer back.
    /// Results and errors addressed to the server are consumed: nothing waits for them yet.
    /// </summary>
    public async ValueTask DispatchIqAsync(Stanza stanza, IqTarget target, IClientSession? session, Router router, CancellationToken ct)
    {
        var typeAttr = stanza.Type;
        IqType type;
        if (typeAttr == "get")
        {
            type = IqType.Get;
        }
        else if (typeAttr == "set")
        {
            type = IqType.Set;
        }
        else
        {
            return;
        }

        var payload = stanza.Element.FirstElement();
        if (payload is null || !_iq.TryGetValue((type, payload.Namespace, payload.Name), out var entry) || (entry.Targets & target) == 0)
        {
            await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
            return;
        }

        IqResult result;
        try
        {
            result = await entry.Handler(new IqContext(stanza.Element, payload, stanza.From, stanza.To, type, session, ct)).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            await router.BounceAsync(stanza, e.Condition, e.Text).ConfigureAwait(false);
            return;
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, e, payload.Name, payload.Namespace, stanza.From);
            await router.BounceAsync(stanza, StanzaErrorCondition.InternalServerError).ConfigureAwait(false);
            return;
        }

        var reply = new Element("iq", stanza.Element.Namespace);
        reply.SetAttribute("type", "result");
        reply.SetAttribute("id", stanza.Element.GetAttribute("id"));
        if (result.Payload is not null)
        {
            reply.Add(result.Payload);
        }

        await router.RouteAsync(reply, stanza.To, stanza.From).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Handler for iq <{Name} xmlns='{Ns}'/> from {From} failed")]
        public static partial void HandlerFailed(ILogger logger, Exception e, string name, string ns, Jid from);

        // Next free EventId: 201
    }
}
