using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.PrivateStorage;

/// <summary>
/// Keeps one element of private XML storage somewhere else than the stored text (legacy bookmarks, which XEP-0411 and
/// XEP-0402 §5.3 keep in the account's PEP nodes); registered with <see cref="PrivateStorageModule.AddElementHandler"/>.
/// The private storage module checks access and shape (XEP-0049 §2.3) before it calls the handler.
/// </summary>
public interface IPrivateElementHandler
{
    /// <summary>Whether the handler takes this request (false when it is off on the account's host: stored text serves it).</summary>
    bool Takes(IqContext iq);

    /// <summary>The element to return for a get of <paramref name="requested"/> (the empty element when there is nothing).</summary>
    ValueTask<Element> GetAsync(IqContext iq, Element requested);

    /// <summary>Stores <paramref name="element"/>; an empty one clears the data. Bad input throws a stanza error.</summary>
    ValueTask SetAsync(IqContext iq, Element element);
}
