using Microsoft.Extensions.Options;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.PrivateStorage;

/// <summary>
/// Private XML Storage (XEP-0049): a user keeps arbitrary XML elements on the server, one per name and namespace
/// (legacy bookmarks, client preferences), readable and writable only by that user.
/// </summary>
/// <remarks>
/// Another module may take over one element with <see cref="AddElementHandler"/>: the bookmarks module keeps
/// <c>storage:bookmarks</c> in the account's PEP nodes (XEP-0411), after this module's access and shape checks.
/// </remarks>
[Xep(49, "1.2", XepStatus.Partial, Note = "One element per request")]
public sealed class PrivateStorageModule(IUserDataStore store, IOptions<PrivateStorageOptions> options) : IXmppModule
{
    /// <summary>The XEP-0049 namespace.</summary>
    public const string Namespace = "jabber:iq:private";

    private const string Kind = "private";
    private readonly int _maxBytes = options.Value.MaxBytes;
    private readonly int _maxItems = options.Value.MaxItems;

    // Written at start-up only (other modules' Configure), read by every request afterwards.
    private readonly Dictionary<string, IPrivateElementHandler> _handlers = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => "private";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "query", GetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "query", SetAsync);
    }

    /// <summary>
    /// Hands the gets and sets of the element <c>{ns}name</c> to <paramref name="handler"/> (call at start-up only, from
    /// a module's Configure); every other element stays stored text.
    /// </summary>
    public void AddElementHandler(string name, string ns, IPrivateElementHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (!_handlers.TryAdd("{" + ns + "}" + name, handler))
        {
            throw new InvalidOperationException($"Two modules handle the private element <{name} xmlns='{ns}'/>");
        }
    }

    private async ValueTask<IqResult> GetAsync(IqContext iq)
    {
        var element = SingleElement(iq);
        if (HandlerFor(iq, element) is { } handler)
        {
            var handled = new Element("query", Namespace);
            handled.Add(await handler.GetAsync(iq, element).ConfigureAwait(false));
            return IqResult.With(handled);
        }

        var xml = await store.GetAsync(iq.From.Bare.ToString(), Kind, XmlDocuments.Key(element), iq.Cancellation).ConfigureAwait(false);
        var query = new Element("query", Namespace);
        // Nothing stored: the requested element comes back empty, as servers have always answered.
        query.Add(xml is null ? new Element(element.Name, element.Namespace) : XmlDocuments.Parse(xml));
        return IqResult.With(query);
    }

    private async ValueTask<IqResult> SetAsync(IqContext iq)
    {
        var element = SingleElement(iq);
        if (HandlerFor(iq, element) is { } handler)
        {
            await handler.SetAsync(iq, element).ConfigureAwait(false);
            return IqResult.Empty;
        }

        var owner = iq.From.Bare.ToString();
        var key = XmlDocuments.Key(element);
        if (XmlDocuments.IsEmpty(element))
        {
            // Storing an empty element is how clients clear their data; it reads back the same as nothing stored.
            await store.DeleteAsync(owner, Kind, key, iq.Cancellation).ConfigureAwait(false);
            return IqResult.Empty;
        }

        var xml = XmlDocuments.Serialize(element, _maxBytes);
        if (!await store.TrySetAsync(owner, Kind, key, xml, _maxItems, iq.Cancellation).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Private storage holds at most {_maxItems} elements");
        }

        return IqResult.Empty;
    }

    private IPrivateElementHandler? HandlerFor(IqContext iq, Element element) =>
        _handlers.Count > 0 && _handlers.TryGetValue(XmlDocuments.Key(element), out var handler) && handler.Takes(iq) ? handler : null;

    /// <summary>The one element of a get or set, after the access and namespace checks of XEP-0049 §2.3.</summary>
    private static Element SingleElement(IqContext iq)
    {
        // §2.3 and §4: only the user's own resources may read or write the user's private data.
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        Element? element = null;
        foreach (var child in iq.Payload.Elements())
        {
            if (element is not null)
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "One element per request");
            }

            element = child;
        }

        // §2.3: at least one child element is required, else not-acceptable.
        if (element is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "The query must contain the element to get or set");
        }

        if (IsReserved(element.Namespace))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"The namespace '{element.Namespace}' is reserved");
        }

        return element;
    }

    /// <summary>
    /// §2.3: the 'jabber:' namespaces (jabber:client, jabber:iq:private itself, jabber:x:data...) and vcard-temp are
    /// reserved, and an element must be in a namespace of its own (one without xmlns inherits jabber:iq:private).
    /// </summary>
    internal static bool IsReserved(string ns) =>
        ns.Length == 0 || ns.StartsWith("jabber:", StringComparison.Ordinal) || ns == "vcard-temp";
}
