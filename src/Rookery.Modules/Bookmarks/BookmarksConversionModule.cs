using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Modules.Pep;
using Rookery.Modules.PrivateStorage;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Bookmarks;

/// <summary>
/// Bookmarks conversion (XEP-0411, XEP-0402 §5.3): clients that keep their room bookmarks in private XML storage
/// (XEP-0049 with XEP-0048's <c>storage:bookmarks</c>), on the legacy PEP node <c>storage:bookmarks</c>, or as PEP
/// native bookmarks (XEP-0402, one item per room on <c>urn:xmpp:bookmarks:1</c>) all see the same list, and each
/// change made one way is notified to the PEP subscribers of the other ways.
/// </summary>
/// <remarks>
/// The account's <c>urn:xmpp:bookmarks:1</c> node is the one source of truth, so that every cluster node reads the same
/// thing from the shared database: a private-storage get of the bookmarks is built from its items, and a private-storage
/// set or a publish to the legacy PEP node is turned into publications and retractions of the rooms that changed. What
/// a legacy list holds besides rooms (URL bookmarks) has no XEP-0402 form and stays in private storage. Each change of
/// the rooms is copied to the legacy PEP node (created when missing, whitelist access) for XEP-0048 PEP clients.
/// Bookmarks kept in private storage before the module ran are moved to PEP on the account's first private-storage get.
/// </remarks>
[Xep(411, "1.1.0", XepStatus.Partial, Note = "Bookmarks stored privately before the module ran move to PEP at the account's first private-storage get, not at login")]
[Xep(402, "1.2.0", XepStatus.Complete, Note = "The server side: PEP with publish options and max_items 'max', and the #compat and #compat-pep conversions")]
public sealed partial class BookmarksConversionModule(
    PepModule pep,
    PrivateStorageModule privateStorage,
    IUserDataStore store,
    IOptions<PrivateStorageOptions> options,
    ILogger<BookmarksConversionModule> logger) : IXmppModule, IPrivateElementHandler, IDisposable
{
    /// <summary>The module's name (in <c>DisabledModules</c>).</summary>
    public const string ModuleName = "bookmarks";

    /// <summary>XEP-0411 §2: the account converts between private XML and PEP bookmarks.</summary>
    public const string ConversionFeature = "urn:xmpp:bookmarks-conversion:0";

    /// <summary>XEP-0402 §5.3: the account unifies XEP-0402 bookmarks with those of private XML storage.</summary>
    public const string CompatFeature = BookmarkConversion.Namespace + "#compat";

    /// <summary>XEP-0402 §5.3: the account unifies XEP-0402 bookmarks with those of the legacy PEP node.</summary>
    public const string CompatPepFeature = BookmarkConversion.Namespace + "#compat-pep";

    // The item id of the legacy PEP node's one item (XEP-0048 §3.3, XEP-0223 §3).
    private const string LegacyItemId = "current";
    private const string PrivateKind = "private";
    private const string PrivateKey = "{" + BookmarkConversion.LegacyNamespace + "}storage";

    // XEP-0402 §3: the node keeps every room, privately, and sends nothing on presence.
    private static readonly Dictionary<string, List<string>> NativeConfig = new(StringComparer.Ordinal)
    {
        ["pubsub#persist_items"] = ["true"],
        ["pubsub#max_items"] = ["max"],
        ["pubsub#send_last_published_item"] = ["never"],
        ["pubsub#access_model"] = ["whitelist"],
    };

    // XEP-0048 §3.3 and XEP-0223 §3: private, persistent data.
    private static readonly Dictionary<string, List<string>> LegacyConfig = new(StringComparer.Ordinal)
    {
        ["pubsub#persist_items"] = ["true"],
        ["pubsub#access_model"] = ["whitelist"],
    };

    private readonly int _maxBytes = options.Value.MaxBytes;
    private readonly int _maxItems = options.Value.MaxItems;
    private readonly StripedLock _locks = new();
    private IModuleBuilder? _modules;

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        _modules = builder;
        // XEP-0411 §2 and XEP-0402 §5.3: announced on the account, with the PEP features.
        builder.AddAccountFeature(ConversionFeature);
        builder.AddAccountFeature(CompatFeature);
        builder.AddAccountFeature(CompatPepFeature);
        privateStorage.AddElementHandler("storage", BookmarkConversion.LegacyNamespace, this);
        pep.OnNodeChanged(OnPepChangedAsync);
    }

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();

    /// <inheritdoc />
    public bool Takes(IqContext iq)
    {
        ArgumentNullException.ThrowIfNull(iq);
        return IsEnabled(iq.From.Domain);
    }

    /// <inheritdoc />
    public async ValueTask<Element> GetAsync(IqContext iq, Element requested)
    {
        ArgumentNullException.ThrowIfNull(iq);
        var owner = iq.From.Bare;
        var items = await pep.ItemsOnBehalfAsync(owner, BookmarkConversion.Namespace, iq.Cancellation).ConfigureAwait(false);
        var stored = await ReadStoredAsync(owner, iq.Cancellation).ConfigureAwait(false);
        var list = BookmarkConversion.ToStorage(Payloads(owner, items), null);
        var migrate = stored is not null && BookmarkConversion.HasRooms(stored);
        if (migrate)
        {
            // Rooms still in the stored text were kept before this module ran and PEP has never seen them (every change
            // since leaves only the non-room part there): XEP-0411 §3 wants them copied to PEP, where the rooms already
            // there win, being newer.
            foreach (var room in stored!.Elements())
            {
                // A room without a valid JID cannot become an item (nor be joined); a get must not fail on it.
                if (room.Name == "conference" && room.Namespace == BookmarkConversion.LegacyNamespace &&
                    Jid.TryParse(room.GetAttribute("jid"), out var jid) &&
                    !list.Elements().Any(c => c.GetAttribute("jid") == jid.ToString()))
                {
                    list.Add(room.Clone().SetAttribute("jid", jid.ToString()));
                }
            }
        }

        if (stored is not null)
        {
            foreach (var other in BookmarkConversion.Others(stored).Elements())
            {
                list.Add(other.Clone());
            }
        }

        if (migrate)
        {
            await ApplyAsync(owner, list, mirror: true, iq.Cancellation).ConfigureAwait(false);
        }

        return list;
    }

    /// <inheritdoc />
    public ValueTask SetAsync(IqContext iq, Element element)
    {
        ArgumentNullException.ThrowIfNull(iq);
        ArgumentNullException.ThrowIfNull(element);
        // XEP-0411 §3: the PEP subscribers of either node hear of what a private-storage client changed.
        return ApplyAsync(iq.From.Bare, element, mirror: true, iq.Cancellation);
    }

    /// <summary>
    /// Makes a legacy list the account's bookmarks: rooms that are new or differ are published to the XEP-0402 node,
    /// rooms no longer listed are retracted (XEP-0402 §5.3.2), the rest of the list is kept in private storage, and with
    /// <paramref name="mirror"/> the whole list is published to the legacy PEP node.
    /// </summary>
    private async ValueTask ApplyAsync(Jid owner, Element storage, bool mirror, CancellationToken ct)
    {
        // What the list itself can be refused for (a room without a JID, the size of the rest) is checked before anything
        // changes; PEP limits (nodes, payload size) can still refuse a room after others were published.
        var rooms = BookmarkConversion.ToItems(storage);
        var others = BookmarkConversion.Others(storage);
        var othersXml = others.HasNodes ? XmlDocuments.Serialize(others, _maxBytes) : null;
        using (await _locks.AcquireAsync(owner, ct).ConfigureAwait(false))
        {
            if (othersXml is null)
            {
                await store.DeleteAsync(owner.ToString(), PrivateKind, PrivateKey, ct).ConfigureAwait(false);
            }
            else if (!await store.TrySetAsync(owner.ToString(), PrivateKind, PrivateKey, othersXml, _maxItems, ct).ConfigureAwait(false))
            {
                throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Private storage holds at most {_maxItems} elements");
            }

            var current = await pep.ItemsOnBehalfAsync(owner, BookmarkConversion.Namespace, ct).ConfigureAwait(false) ?? [];
            int published = 0, retracted = 0;
            foreach (var (id, conference) in rooms)
            {
                var xml = XmlDocuments.Serialize(conference, int.MaxValue);
                if (current.Any(i => i.Id == id && i.PayloadXml == xml))
                {
                    continue;
                }

                await pep.PublishOnBehalfAsync(owner, BookmarkConversion.Namespace, id, conference, NativeConfig, ct).ConfigureAwait(false);
                published++;
            }

            foreach (var item in current)
            {
                if (!rooms.Any(r => r.Id == item.Id) &&
                    await pep.RetractOnBehalfAsync(owner, BookmarkConversion.Namespace, item.Id, ct).ConfigureAwait(false))
                {
                    retracted++;
                }
            }

            Log.Converted(logger, owner, published, retracted);
            if (mirror && published + retracted > 0)
            {
                await MirrorAsync(owner, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Follows the account's own PEP changes: a change of its XEP-0402 bookmarks is published to the legacy PEP node for
    /// XEP-0048 clients, and a list published to the legacy node becomes the account's bookmarks (XEP-0402 §5.3.2).
    /// </summary>
    private async ValueTask OnPepChangedAsync(Jid owner, string node, PepNodeChange change, CancellationToken ct)
    {
        // Every publish of every account comes here: the node is the cheap test, so it goes first.
        if (node is not (BookmarkConversion.Namespace or BookmarkConversion.LegacyNamespace) || !IsEnabled(owner.Domain))
        {
            return;
        }

        if (node == BookmarkConversion.Namespace)
        {
            using (await _locks.AcquireAsync(owner, ct).ConfigureAwait(false))
            {
                await MirrorAsync(owner, ct).ConfigureAwait(false);
            }
        }
        else if (node == BookmarkConversion.LegacyNamespace && change.Kind == PepNodeChangeKind.Published)
        {
            // Retracting or deleting the legacy node is taken as leaving that way of storing, not as removing every room.
            var items = await pep.ItemsOnBehalfAsync(owner, node, ct).ConfigureAwait(false);
            if (items is { Count: > 0 } && Payload(owner, items[^1]) is { Name: "storage", Namespace: BookmarkConversion.LegacyNamespace } list)
            {
                await ApplyAsync(owner, list, mirror: false, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Publishes the account's whole list to the legacy PEP node (call under the owner's lock). The bookmarks themselves
    /// are already kept by then, so PEP refusing the copy (the account at its node limit) is logged, not an error.
    /// </summary>
    private async ValueTask MirrorAsync(Jid owner, CancellationToken ct)
    {
        var items = await pep.ItemsOnBehalfAsync(owner, BookmarkConversion.Namespace, ct).ConfigureAwait(false);
        var stored = await ReadStoredAsync(owner, ct).ConfigureAwait(false);
        var list = BookmarkConversion.ToStorage(Payloads(owner, items), stored is null ? null : BookmarkConversion.Others(stored));
        try
        {
            await pep.PublishOnBehalfAsync(owner, BookmarkConversion.LegacyNamespace, LegacyItemId, list, LegacyConfig, ct).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            Log.MirrorRefused(logger, owner, e.Condition);
        }
    }

    /// <summary>The legacy list kept in private storage (before conversion, or its non-room part since), or null.</summary>
    private async ValueTask<Element?> ReadStoredAsync(Jid owner, CancellationToken ct)
    {
        var xml = await store.GetAsync(owner.ToString(), PrivateKind, PrivateKey, ct).ConfigureAwait(false);
        if (xml is null)
        {
            return null;
        }

        try
        {
            return XmlDocuments.Parse(xml);
        }
        catch (FormatException e)
        {
            Log.Unreadable(logger, e, owner, PrivateKey);
            return null;
        }
    }

    private IEnumerable<(string Id, Element Payload)> Payloads(Jid owner, IReadOnlyList<PubsubItem>? items)
    {
        foreach (var item in items ?? [])
        {
            if (Payload(owner, item) is { } payload)
            {
                yield return (item.Id, payload);
            }
        }
    }

    private Element? Payload(Jid owner, PubsubItem item)
    {
        try
        {
            return XmlDocuments.Parse(item.PayloadXml);
        }
        catch (FormatException e)
        {
            Log.Unreadable(logger, e, owner, item.Id);
            return null;
        }
    }

    /// <summary>Whether the module and PEP run on the account's host (a host may disable either in <c>DisabledModules</c>).</summary>
    private bool IsEnabled(string domain) =>
        _modules is { } modules && modules.IsEnabled(ModuleName, domain) && modules.IsEnabled(PepModule.ModuleName, domain);

    private static partial class Log
    {
        [LoggerMessage(EventId = 5531, Level = LogLevel.Debug, Message = "Converted {Owner}'s bookmarks: {Published} rooms published, {Retracted} retracted")]
        public static partial void Converted(ILogger logger, Jid owner, int published, int retracted);

        [LoggerMessage(EventId = 5532, Level = LogLevel.Warning, Message = "Stored bookmarks {Key} of {Owner} do not read back; skipped")]
        public static partial void Unreadable(ILogger logger, Exception e, Jid owner, string key);

        [LoggerMessage(EventId = 5533, Level = LogLevel.Warning, Message = "{Owner}'s bookmarks were not copied to the legacy PEP node: {Condition}")]
        public static partial void MirrorRefused(ILogger logger, Jid owner, StanzaErrorCondition condition);

        // Next free EventId: 5534 (5530 is PepModule's ChangeHandlerFailed).
    }
}
