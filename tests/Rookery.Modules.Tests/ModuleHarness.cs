using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests;

/// <summary>
/// Stands in for the module registry: records what a module declares and calls its iq handlers directly, the way the
/// registry does once a request has been routed to the host or to an account.
/// </summary>
internal sealed class ModuleHarness : IModuleBuilder
{
    private readonly Dictionary<(IqType, string, string), (IqTarget Targets, IqHandler Handler)> _handlers = [];

    private ModuleHarness()
    {
    }

    /// <summary>The features the module declared, in order.</summary>
    public List<string> Features { get; } = [];

    /// <summary>What <see cref="FeaturesFor"/> answers; by default the module's own features.</summary>
    public Func<string, IEnumerable<string>>? EnabledFeatures { get; set; }

    /// <summary>Configures <paramref name="module"/> against a new harness.</summary>
    public static ModuleHarness For(IXmppModule module)
    {
        var harness = new ModuleHarness();
        module.Configure(harness);
        return harness;
    }

    public void AddFeature(string feature) => Features.Add(feature);

    public void AddStreamFeature(string name, string ns)
    {
    }

    /// <summary>The per-host stream features the module declared, in order.</summary>
    public List<StreamFeatureProvider> StreamFeatureProviders { get; } = [];

    public void AddStreamFeature(StreamFeatureProvider provider) => StreamFeatureProviders.Add(provider);

    /// <summary>The account features the module declared, in order.</summary>
    public List<string> AccountFeatures { get; } = [];

    public void AddAccountFeature(string feature) => AccountFeatures.Add(feature);

    public IEnumerable<string> AccountFeaturesFor(string domain) => AccountFeatures;

    /// <summary>The modules <see cref="IsEnabled"/> says are off (every module is on by default).</summary>
    public HashSet<string> DisabledModules { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public bool IsEnabled(string moduleName, string domain) => !DisabledModules.Contains(moduleName);

    /// <summary>The account identities the module declared, in order.</summary>
    public List<(string Category, string Type)> AccountIdentities { get; } = [];

    /// <summary>The account item providers the module declared, in order.</summary>
    public List<AccountItemsProvider> AccountItems { get; } = [];

    public void AddAccountIdentity(string category, string type) => AccountIdentities.Add((category, type));

    public void AddAccountItems(AccountItemsProvider provider) => AccountItems.Add(provider);

    public IEnumerable<(string Category, string Type)> AccountIdentitiesFor(string domain) => AccountIdentities;

    public IEnumerable<AccountItemsProvider> AccountItemsFor(string domain) => AccountItems;

    public List<HostItemsProvider> HostItems { get; } = [];

    public void AddHostItems(HostItemsProvider provider) => HostItems.Add(provider);

    public IEnumerable<HostItemsProvider> HostItemsFor(string domain) => HostItems;

    public void HandleIq(IqType type, IqTarget targets, string ns, string name, IqHandler handler) =>
        _handlers.Add((type, ns, name), (targets, handler));

    public IEnumerable<string> FeaturesFor(string domain) => EnabledFeatures?.Invoke(domain) ?? Features;

    /// <summary>The stanza hooks the module registered, by point, in registration order.</summary>
    public List<(HookPoint Point, int Priority, StanzaHook Hook)> Hooks { get; } = [];

    /// <summary>The delivered-message hooks the module registered.</summary>
    public List<MessageDeliveredHook> DeliveredHooks { get; } = [];

    public void Hook(HookPoint point, int priority, StanzaHook hook) => Hooks.Add((point, priority, hook));

    public void OnMessageDelivered(MessageDeliveredHook hook) => DeliveredHooks.Add(hook);

    /// <summary>The waiting-message hooks the module registered, in order.</summary>
    public List<MessageWaitingHook> WaitingHooks { get; } = [];

    public void OnMessageWaiting(MessageWaitingHook hook) => WaitingHooks.Add(hook);

    /// <summary>The disco nodes the module added, by node.</summary>
    public Dictionary<string, DiscoNodeHandler> DiscoNodes { get; } = new(StringComparer.Ordinal);

    public void AddDiscoNode(string node, DiscoNodeHandler handler) => DiscoNodes.Add(node, handler);

    public DiscoNodeHandler? FindDiscoNode(string domain, string node) => DiscoNodes.GetValueOrDefault(node);

    /// <summary>The account disco nodes the module added, by node.</summary>
    public Dictionary<string, DiscoNodeHandler> AccountDiscoNodes { get; } = new(StringComparer.Ordinal);

    public void AddAccountDiscoNode(string node, DiscoNodeHandler handler) => AccountDiscoNodes.Add(node, handler);

    /// <summary>The handler the module added for the account nodes no module names (<see cref="IModuleBuilder.AddAccountDiscoNodes"/>).</summary>
    public DiscoNodeHandler? OtherAccountDiscoNodes { get; private set; }

    public void AddAccountDiscoNodes(DiscoNodeHandler handler) => OtherAccountDiscoNodes = handler;

    public DiscoNodeHandler? FindAccountDiscoNode(string domain, string node) => AccountDiscoNodes.GetValueOrDefault(node) ?? OtherAccountDiscoNodes;

    /// <summary>
    /// False to address bare JIDs as the session manager does an account that does not exist
    /// (<see cref="IqTarget.AbsentAccount"/>).
    /// </summary>
    public bool AccountsExist { get; set; } = true;

    /// <summary>Sends a request and returns the result payload; a stanza error surfaces as <see cref="StanzaErrorException"/>.</summary>
    public async Task<Element?> RequestAsync(IqType type, string from, string to, string payloadXml, Rookery.Server.Sessions.IClientSession? session = null)
    {
        var payload = StoredStanza.Parse(payloadXml);
        var toJid = Jid.Parse(to);
        var target = toJid.Local is null ? IqTarget.Host : AccountsExist ? IqTarget.Bare : IqTarget.AbsentAccount;
        if (!_handlers.TryGetValue((type, payload.Namespace, payload.Name), out var entry) || (entry.Targets & target) == 0)
        {
            // What the registry would answer for a request no handler claims.
            throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable);
        }

        var stanza = new Element("iq", Ns.Client).SetAttribute("type", type == IqType.Get ? "get" : "set").SetAttribute("from", from).SetAttribute("to", to);
        stanza.Add(payload);
        var result = await entry.Handler(new IqContext(stanza, payload, Jid.Parse(from), toJid, type, session, CancellationToken.None) { Target = target });
        return result.Payload;
    }

    public Task<Element?> GetAsync(string from, string to, string payloadXml, Rookery.Server.Sessions.IClientSession? session = null) =>
        RequestAsync(IqType.Get, from, to, payloadXml, session);

    public Task<Element?> SetAsync(string from, string to, string payloadXml, Rookery.Server.Sessions.IClientSession? session = null) =>
        RequestAsync(IqType.Set, from, to, payloadXml, session);
}
