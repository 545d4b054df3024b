namespace Rookery.Server.Modules;

/// <summary>What a module may register at start-up (the counterpart of Prosody's module API and ejabberd's gen_mod).</summary>
public interface IModuleBuilder
{
    /// <summary>Adds a feature to the host's service discovery information.</summary>
    void AddFeature(string feature);

    /// <summary>
    /// Adds a feature to the service discovery information of every account's bare JID on hosts where the module is
    /// enabled, for protocols the server provides on behalf of accounts (XEP-0313 §6: archives live at the bare JID).
    /// </summary>
    void AddAccountFeature(string feature);

    /// <summary>
    /// Adds an identity to the service discovery information of every account's bare JID on hosts where the module is
    /// enabled (XEP-0163 §6.1: <c>pubsub/pep</c>).
    /// </summary>
    void AddAccountIdentity(string category, string type);

    /// <summary>
    /// Adds items to the service discovery items of every account's bare JID on hosts where the module is enabled
    /// (XEP-0163 §6.1: the account's nodes).
    /// </summary>
    void AddAccountItems(AccountItemsProvider provider);

    /// <summary>
    /// Adds items to the service discovery items of the host itself on hosts where the module is enabled (XEP-0030 §4;
    /// XEP-0045 §6.1: the MUC service).
    /// </summary>
    void AddHostItems(HostItemsProvider provider);

    /// <summary>The host item providers (<see cref="AddHostItems"/>) of the modules enabled on <paramref name="domain"/>.</summary>
    IEnumerable<HostItemsProvider> HostItemsFor(string domain);

    /// <summary>The account identities (<see cref="AddAccountIdentity"/>) of the modules enabled on <paramref name="domain"/>.</summary>
    IEnumerable<(string Category, string Type)> AccountIdentitiesFor(string domain);

    /// <summary>The account item providers (<see cref="AddAccountItems"/>) of the modules enabled on <paramref name="domain"/>.</summary>
    IEnumerable<AccountItemsProvider> AccountItemsFor(string domain);

    /// <summary>Adds a stream feature offered to clients after resource binding is possible (for example roster versioning).</summary>
    void AddStreamFeature(string name, string ns);

    /// <summary>
    /// Adds a stream feature built per host by <paramref name="provider"/>, offered after authentication with the
    /// fixed ones (<see cref="AddStreamFeature(string, string)"/>) on hosts where the module is enabled.
    /// </summary>
    void AddStreamFeature(StreamFeatureProvider provider);

    /// <summary>
    /// Handles iq stanzas of a type whose payload is <c>&lt;<paramref name="name"/> xmlns='<paramref name="ns"/>'/&gt;</c>
    /// when addressed to one of <paramref name="targets"/>.
    /// </summary>
    void HandleIq(IqType type, IqTarget targets, string ns, string name, IqHandler handler);

    /// <summary>
    /// The disco#info features of the modules enabled on <paramref name="domain"/>, read when a handler runs, once every
    /// module has been configured (Prosody's <c>module:get_host_items("feature")</c>); service discovery answers with them.
    /// </summary>
    IEnumerable<string> FeaturesFor(string domain);

    /// <summary>
    /// The account features (<see cref="AddAccountFeature"/>) of the modules enabled on <paramref name="domain"/>, read
    /// when a handler runs; service discovery answers with them for an account's bare JID.
    /// </summary>
    IEnumerable<string> AccountFeaturesFor(string domain);

    /// <summary>
    /// Whether the module named <paramref name="moduleName"/> runs on <paramref name="domain"/> (neither the server's nor the
    /// host's <c>DisabledModules</c> names it). A module that works together with another asks this.
    /// </summary>
    bool IsEnabled(string moduleName, string domain);

    /// <summary>
    /// Answers disco#info and disco#items requests for <paramref name="node"/> of the host (XEP-0030 §3.2, §4.2) on hosts
    /// where the module is enabled, for example XEP-0050's command list and command nodes.
    /// </summary>
    void AddDiscoNode(string node, DiscoNodeHandler handler);

    /// <summary>
    /// The handler of a host's disco node on <paramref name="domain"/> (<see cref="AddDiscoNode"/>), or null when no
    /// module enabled there has that node; service discovery calls it when a request names a node.
    /// </summary>
    DiscoNodeHandler? FindDiscoNode(string domain, string node);

    /// <summary>
    /// Answers disco#info and disco#items requests for <paramref name="node"/> of every account's bare JID on hosts
    /// where the module is enabled (XEP-0013 §2.2: the offline message node). The handler decides who may see it.
    /// </summary>
    void AddAccountDiscoNode(string node, DiscoNodeHandler handler);

    /// <summary>
    /// Answers disco#info and disco#items requests for the account nodes no module added by name, on hosts where the
    /// module is enabled: the nodes accounts create themselves (XEP-0163 PEP nodes, XEP-0060 §5.3). The handler throws
    /// item-not-found for a node the account does not have. At most one module adds one.
    /// </summary>
    void AddAccountDiscoNodes(DiscoNodeHandler handler);

    /// <summary>
    /// The handler of an account disco node on <paramref name="domain"/> (<see cref="AddAccountDiscoNode"/>, else the
    /// <see cref="AddAccountDiscoNodes"/> one), or null when no module enabled there answers for it.
    /// </summary>
    DiscoNodeHandler? FindAccountDiscoNode(string domain, string node);

    /// <summary>Runs <paramref name="hook"/> on stanzas at <paramref name="point"/>; higher priorities run first.</summary>
    void Hook(HookPoint point, int priority, StanzaHook hook);

    /// <summary>Runs <paramref name="hook"/> after each message the session manager delivered to local resources.</summary>
    void OnMessageDelivered(MessageDeliveredHook hook);

    /// <summary>
    /// Runs <paramref name="hook"/> for each message for an account on a host where the module is enabled that reached no
    /// connected client: stored offline, or queued for a session waiting for resumption (XEP-0198).
    /// </summary>
    void OnMessageWaiting(MessageWaitingHook hook);
}
