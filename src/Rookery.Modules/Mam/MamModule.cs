using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Errors;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>
/// Message Archive Management (XEP-0313) for user archives: messages an account sends or receives are archived at its
/// bare JID, received ones carry their archive id (XEP-0359 stanza-id), and the user queries the archive with a data
/// form and RSM paging (XEP-0059) and sets archiving preferences (XEP-0441). One file per sub-feature: archiving hooks
/// (<see cref="MamArchiver"/>), queries (<see cref="MamQueryHandler"/>), form (<see cref="MamQueryForm"/>), paging
/// (<see cref="ResultSet"/>), preferences (<see cref="MamPreferences"/>), retention (<see cref="MamRetentionService"/>).
/// </summary>
[Xep(313, "1.1.1", XepStatus.Partial, Note = "User archives; groupchat messages are not archived in them")]
[Xep(359, "0.7.0")]
[Xep(59, "1.0", XepStatus.Partial, Note = "In archive queries; no paging by index")]
[Xep(441, "0.2.0")]
[Xep(334, "0.3.0", XepStatus.Partial, Note = "The store, no-store and no-permanent-store hints, for archiving")]
public sealed class MamModule : IXmppModule
{
    /// <summary>The XEP-0313 namespace.</summary>
    public const string Namespace = "urn:xmpp:mam:2";

    /// <summary>The feature of before-id, after-id, ids, flipped pages and metadata (XEP-0313 §6).</summary>
    public const string ExtendedFeature = "urn:xmpp:mam:2#extended";

    /// <summary>
    /// The priority of the archiving hooks: below the hooks that reject stanzas (blocking and the like), so that a
    /// rejected message is never archived (XEP-0313 §5.1).
    /// </summary>
    public const int HookPriority = -100;

    private readonly MamArchiver _archiver;
    private readonly MamQueryHandler _queries;
    private readonly MamPreferences _preferences;

    /// <summary>Creates the module's parts over the archive store and the node's archive writer.</summary>
    public MamModule(
        IMessageArchiveStore store,
        MamArchiveWriter writer,
        IRosterStore rosters,
        IAccountStore accounts,
        SessionTable sessions,
        IOptions<MamOptions> options,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger<MamModule>();
        _preferences = new MamPreferences(store, rosters, options.Value);
        _archiver = new MamArchiver(store, writer, _preferences, accounts, sessions, new ArchiveIdGenerator(time), time, logger);
        _queries = new MamQueryHandler(store, options.Value, logger);
    }

    /// <inheritdoc />
    public string Name => "mam";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // §6: features of the archiving JID, the account's bare JID, not of the host (which keeps no archive).
        builder.AddAccountFeature(Namespace);
        builder.AddAccountFeature(ExtendedFeature);
        builder.AddAccountFeature(MamArchiver.StanzaIdNamespace);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "query", _queries.QueryAsync);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "query", MamQueryHandler.FormAsync);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "metadata", _queries.MetadataAsync);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "prefs", _preferences.GetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "prefs", _preferences.SetAsync);
        builder.Hook(HookPoint.Inbound, HookPriority, _archiver.InboundAsync);
        builder.Hook(HookPoint.Outbound, HookPriority, _archiver.OutboundAsync);
    }

    /// <summary>XEP-0313 §8.1: only the account itself may read or configure its archive.</summary>
    internal static void RequireSelf(IqContext iq)
    {
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only the account itself may use its archive");
        }
    }
}
