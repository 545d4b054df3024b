using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Server.Modules;

/// <summary>
/// Collects what the enabled modules declare and dispatches iq requests to their handlers. An iq get or set that no
/// handler claims is answered with <c>service-unavailable</c> (RFC 6120 §8.2.3, as Prosody's stanza router does).
/// </summary>
public sealed partial class ModuleRegistry
{
    private readonly Dictionary<(IqType, string Ns, string Name), (string Module, IqTarget Targets, IqHandler Handler)> _iq = [];
    private readonly List<(string Module, string Feature)> _features = [];
    private readonly List<(string Module, string Feature)> _accountFeatures = [];
    private readonly List<(string Module, string Name, string Ns)> _streamFeatures = [];
    private readonly List<(string Module, StreamFeatureProvider Provider)> _streamFeatureProviders = [];
    private readonly List<(string Module, string Category, string Type)> _accountIdentities = [];
    private readonly List<(string Module, AccountItemsProvider Provider)> _accountItems = [];
    private readonly List<(string Module, HostItemsProvider Provider)> _hostItems = [];
    private readonly Dictionary<string, HashSet<string>> _disabled = new(StringComparer.Ordinal);
    private readonly List<(string Module, int Priority, StanzaHook Hook)> _outbound = [];
    private readonly List<(string Module, int Priority, StanzaHook Hook)> _inbound = [];
    private readonly List<(string Module, MessageDeliveredHook Hook)> _delivered = [];
    private readonly List<(string Module, MessageWaitingHook Hook)> _waiting = [];
    private readonly Dictionary<string, (string Module, DiscoNodeHandler Handler)> _discoNodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Module, DiscoNodeHandler Handler)> _accountDiscoNodes = new(StringComparer.Ordinal);
    private (string Module, DiscoNodeHandler Handler)? _otherAccountDiscoNodes;
    private volatile Dictionary<string, StanzaHook[][]>? _enabledHooks; // per served host: [outbound, inbound] (EnabledHooks)
    private readonly ILogger<ModuleRegistry> _logger;

    /// <summary>Configures every module once and reads which ones each host turned off.</summary>
    public ModuleRegistry(IEnumerable<IXmppModule> modules, HostRegistry hosts, IOptions<ServerOptions> options, ILogger<ModuleRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(modules);
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        var names = new List<string>();
        foreach (var m in modules)
        {
            m.Configure(new Builder(this, m.Name));
            names.Add(m.Name);
        }

        ModuleNames = names;
        var global = options.Value.DisabledModules;
        foreach (var domain in hosts.Domains)
        {
            var off = new HashSet<string>(global, StringComparer.OrdinalIgnoreCase);
            off.UnionWith(hosts.Find(domain)!.DisabledModules);
            _disabled[domain] = off;
        }
    }

    /// <summary>The names of the configured modules.</summary>
    public IReadOnlyList<string> ModuleNames { get; }

    /// <summary>
    /// Returns the first disabled-module name in the configuration that no module has (with its configuration key),
    /// or null when all are known: a typo must not silently leave a module on.
    /// </summary>
    public string? FindUnknownDisabledModule(IOptions<ServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var name in options.Value.DisabledModules)
        {
            if (!ModuleNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                return $"DisabledModules: '{name}'";
            }
        }

        foreach (var (domain, host) in options.Value.Hosts)
        {
            foreach (var name in host.DisabledModules)
            {
                if (!ModuleNames.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    return $"Hosts:{domain}:DisabledModules: '{name}'";
                }
            }
        }

        return null;
    }

    /// <summary>Whether a module runs on a host.</summary>
    public bool IsEnabled(string module, string domain) =>
        !_disabled.TryGetValue(domain, out var off) || !off.Contains(module);

    /// <summary>The disco#info features of the modules enabled on a host.</summary>
    public IEnumerable<string> FeaturesFor(string domain)
    {
        foreach (var (module, feature) in _features)
        {
            if (IsEnabled(module, domain))
            {
                yield return feature;
            }
        }
    }

    /// <summary>The disco#info features of an account's bare JID that the modules enabled on its host provide.</summary>
    public IEnumerable<string> AccountFeaturesFor(string domain)
    {
        foreach (var (module, feature) in _accountFeatures)
        {
            if (IsEnabled(module, domain))
            {
                yield return feature;
            }
        }
    }

    /// <summary>The handler of a host's disco node when the module that added it is enabled on the host, else null.</summary>
    public DiscoNodeHandler? FindDiscoNode(string domain, string node) =>
        _discoNodes.TryGetValue(node, out var entry) && IsEnabled(entry.Module, domain) ? entry.Handler : null;

    /// <summary>The handler of an account disco node when the module that added it is enabled on the host, else null.</summary>
    public DiscoNodeHandler? FindAccountDiscoNode(string domain, string node)
    {
        if (_accountDiscoNodes.TryGetValue(node, out var entry))
        {
            return IsEnabled(entry.Module, domain) ? entry.Handler : null;
        }

        return _otherAccountDiscoNodes is { } other && IsEnabled(other.Module, domain) ? other.Handler : null;
    }

    /// <summary>The disco#info identities of an account's bare JID that the modules enabled on its host add.</summary>
    public IEnumerable<(string Category, string Type)> AccountIdentitiesFor(string domain)
    {
        foreach (var (module, category, type) in _accountIdentities)
        {
            if (IsEnabled(module, domain))
            {
                yield return (category, type);
            }
        }
    }

    /// <summary>The disco#items providers of an account's bare JID of the modules enabled on its host.</summary>
    public IEnumerable<AccountItemsProvider> AccountItemsFor(string domain)
    {
        foreach (var (module, provider) in _accountItems)
        {
            if (IsEnabled(module, domain))
            {
                yield return provider;
            }
        }
    }

    /// <summary>The disco#items providers of a host of the modules enabled on it.</summary>
    public IEnumerable<HostItemsProvider> HostItemsFor(string domain)
    {
        foreach (var (module, provider) in _hostItems)
        {
            if (IsEnabled(module, domain))
            {
                yield return provider;
            }
        }
    }

    /// <summary>Stream features offered after authentication on a host.</summary>
    public IEnumerable<(string Name, string Ns)> StreamFeaturesFor(string domain)
    {
        foreach (var (module, name, ns) in _streamFeatures)
        {
            if (IsEnabled(module, domain))
            {
                yield return (name, ns);
            }
        }
    }

    /// <summary>The stream features built per host (<see cref="IModuleBuilder.AddStreamFeature(StreamFeatureProvider)"/>) offered after authentication on a host.</summary>
    public IEnumerable<Element> StreamFeatureElementsFor(string domain)
    {
        foreach (var (module, provider) in _streamFeatureProviders)
        {
            if (IsEnabled(module, domain) && provider(domain) is { } feature)
            {
                yield return feature;
            }
        }
    }

    /// <summary>What one module registers, tagged with the module's name so that hosts can turn it off.</summary>
    private sealed class Builder(ModuleRegistry registry, string module) : IModuleBuilder
    {
        public void AddFeature(string feature)
        {
            if (!registry._features.Contains((module, feature)))
            {
                registry._features.Add((module, feature));
            }
        }

        public void AddAccountFeature(string feature)
        {
            if (!registry._accountFeatures.Contains((module, feature)))
            {
                registry._accountFeatures.Add((module, feature));
            }
        }

        public void AddStreamFeature(string name, string ns) => registry._streamFeatures.Add((module, name, ns));

        public void AddStreamFeature(StreamFeatureProvider provider) => registry._streamFeatureProviders.Add((module, provider));

        public void AddAccountIdentity(string category, string type) => registry._accountIdentities.Add((module, category, type));

        public void AddAccountItems(AccountItemsProvider provider) => registry._accountItems.Add((module, provider));

        public IEnumerable<(string Category, string Type)> AccountIdentitiesFor(string domain) => registry.AccountIdentitiesFor(domain);

        public IEnumerable<AccountItemsProvider> AccountItemsFor(string domain) => registry.AccountItemsFor(domain);

        public void AddHostItems(HostItemsProvider provider) => registry._hostItems.Add((module, provider));

        public IEnumerable<HostItemsProvider> HostItemsFor(string domain) => registry.HostItemsFor(domain);

        public void HandleIq(IqType type, IqTarget targets, string ns, string name, IqHandler handler)
        {
            if (!registry._iq.TryAdd((type, ns, name), (module, targets, handler)))
            {
                throw new InvalidOperationException($"Two modules handle iq {type} <{name} xmlns='{ns}'/>");
            }
        }

        public IEnumerable<string> FeaturesFor(string domain) => registry.FeaturesFor(domain);

        public void AddDiscoNode(string node, DiscoNodeHandler handler)
        {
            if (!registry._discoNodes.TryAdd(node, (module, handler)))
            {
                throw new InvalidOperationException($"Two modules answer for the disco node '{node}'");
            }
        }

        public DiscoNodeHandler? FindDiscoNode(string domain, string node) => registry.FindDiscoNode(domain, node);

        public void AddAccountDiscoNode(string node, DiscoNodeHandler handler)
        {
            if (!registry._accountDiscoNodes.TryAdd(node, (module, handler)))
            {
                throw new InvalidOperationException($"Two modules answer for the account disco node '{node}'");
            }
        }

        public void AddAccountDiscoNodes(DiscoNodeHandler handler)
        {
            if (registry._otherAccountDiscoNodes is { } other)
            {
                throw new InvalidOperationException($"Modules '{other.Module}' and '{module}' both answer for the account disco nodes no module names");
            }

            registry._otherAccountDiscoNodes = (module, handler);
        }

        public DiscoNodeHandler? FindAccountDiscoNode(string domain, string node) => registry.FindAccountDiscoNode(domain, node);

        public IEnumerable<string> AccountFeaturesFor(string domain) => registry.AccountFeaturesFor(domain);

        public bool IsEnabled(string other, string domain) => registry.IsEnabled(other, domain);

        public void Hook(HookPoint point, int priority, StanzaHook hook)
        {
            var list = point == HookPoint.Outbound ? registry._outbound : registry._inbound;
            list.Add((module, priority, hook));
            // Stable sort: equal priorities keep registration order.
            var sorted = list.OrderByDescending(h => h.Priority).ToList();
            list.Clear();
            list.AddRange(sorted);
            registry._enabledHooks = null;
        }

        public void OnMessageDelivered(MessageDeliveredHook hook) => registry._delivered.Add((module, hook));

        public void OnMessageWaiting(MessageWaitingHook hook) => registry._waiting.Add((module, hook));
    }

    /// <summary>True when any module hooks stanzas at <paramref name="point"/> (callers skip building a context otherwise).</summary>
    public bool HasHooks(HookPoint point) => (point == HookPoint.Outbound ? _outbound : _inbound).Count > 0;

    /// <summary>True when any module wants to hear about delivered messages.</summary>
    public bool HasDeliveredHooks => _delivered.Count > 0;

    /// <summary>
    /// Runs the hooks of <paramref name="point"/> on <paramref name="stanza"/> as <see cref="RunHooksAsync(HookPoint, string, StanzaHookContext)"/>
    /// does, with a reused context (no allocation per stanza on the routing path, issue #6).
    /// </summary>
    internal async ValueTask<HookResult> RunHooksAsync(HookPoint point, string domain, Stanza stanza, ILocalClientSession? session, CancellationToken ct)
    {
        var context = StanzaHookContext.Rent(stanza, session, ct);
        try
        {
            return await RunHooksAsync(point, domain, context).ConfigureAwait(false);
        }
        finally
        {
            StanzaHookContext.Return(context);
        }
    }

    /// <summary>
    /// Runs the hooks of <paramref name="point"/> for the modules enabled on <paramref name="domain"/>; returns
    /// <see cref="HookResult.Handled"/> when one of them took the stanza.
    /// </summary>
    public async ValueTask<HookResult> RunHooksAsync(HookPoint point, string domain, StanzaHookContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (EnabledHooks(point, domain) is { } hooks)
        {
            // A served host: its enabled hooks were listed once, so no module lookup per hook and stanza (issue #6).
            for (var i = 0; i < hooks.Length; i++)
            {
                if (await hooks[i](context).ConfigureAwait(false) == HookResult.Handled)
                {
                    return HookResult.Handled;
                }
            }

            return HookResult.Continue;
        }

        foreach (var (module, _, hook) in point == HookPoint.Outbound ? _outbound : _inbound)
        {
            if (IsEnabled(module, domain) && await hook(context).ConfigureAwait(false) == HookResult.Handled)
            {
                return HookResult.Handled;
            }
        }

        return HookResult.Continue;
    }

    /// <summary>The hooks of <paramref name="point"/> enabled on a served host, in priority order; null for other domains.</summary>
    private StanzaHook[]? EnabledHooks(HookPoint point, string domain)
    {
        var snapshot = _enabledHooks ??= BuildEnabledHooks();
        return snapshot.TryGetValue(domain, out var lists) ? lists[point == HookPoint.Outbound ? 0 : 1] : null;
    }

    /// <summary>Lists, per served host, the enabled hooks of both points (an immutable snapshot, rebuilt when a hook is added).</summary>
    private Dictionary<string, StanzaHook[][]> BuildEnabledHooks()
    {
        var snapshot = new Dictionary<string, StanzaHook[][]>(StringComparer.Ordinal);
        foreach (var domain in _disabled.Keys)
        {
            snapshot[domain] = [Enabled(_outbound, domain), Enabled(_inbound, domain)];
        }

        return snapshot;

        StanzaHook[] Enabled(List<(string Module, int Priority, StanzaHook Hook)> hooks, string host)
        {
            var enabled = new List<StanzaHook>(hooks.Count);
            foreach (var (module, _, hook) in hooks)
            {
                if (IsEnabled(module, host))
                {
                    enabled.Add(hook);
                }
            }

            return [.. enabled];
        }
    }

    /// <summary>Tells the delivered-message hooks of the modules enabled on the recipient's host.</summary>
    public void MessageDelivered(Stanza message, IReadOnlyList<IClientSession> deliveredTo)
    {
        foreach (var (module, hook) in _delivered)
        {
            if (IsEnabled(module, message.To.Domain))
            {
                try
                {
                    hook(message, deliveredTo);
                }
                catch (Exception e)
                {
                    Log.DeliveredHookFailed(_logger, e, module, message.From);
                }
            }
        }
    }

    /// <summary>True when any module wants to hear about messages that wait for their recipient.</summary>
    public bool HasWaitingHooks => _waiting.Count > 0;

    /// <summary>
    /// Tells the waiting-message hooks of the modules enabled on the recipient's host about a message that reached no
    /// connected client. Never throws: a failing hook is logged.
    /// </summary>
    public void MessageWaiting(WaitingMessage waiting)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        foreach (var (module, hook) in _waiting)
        {
            if (IsEnabled(module, waiting.To.Domain))
            {
                try
                {
                    hook(waiting);
                }
                catch (Exception e)
                {
                    Log.WaitingHookFailed(_logger, e, module, waiting.From);
                }
            }
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
        if (payload is null || !_iq.TryGetValue((type, payload.Namespace, payload.Name), out var entry) ||
            (entry.Targets & target) == 0 || !IsEnabled(entry.Module, stanza.To.Domain))
        {
            await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
            return;
        }

        IqResult result;
        try
        {
            result = await entry.Handler(new IqContext(stanza.Element, payload, stanza.From, stanza.To, type, session, ct) { Target = target }).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            await router.BounceAsync(stanza, e.Condition, e.Text, e.ApplicationCondition).ConfigureAwait(false);
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

        [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Delivered-message hook of module {Module} failed for a message from {From}")]
        public static partial void DeliveredHookFailed(ILogger logger, Exception e, string module, Jid from);

        [LoggerMessage(EventId = 5400, Level = LogLevel.Error, Message = "Waiting-message hook of module {Module} failed for a message from {From}")]
        public static partial void WaitingHookFailed(ILogger logger, Exception e, string module, Jid from);

        // Next free EventId: 202 (5401 in the push range 5400-5449)
    }
}
