using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Routing;

/// <summary>
/// A stanza in flight: the element plus its sender and addressee, parsed and prepped once where the stanza entered
/// the server so that no routing step parses a JID again.
/// </summary>
/// <param name="Element">The stanza; its <c>from</c> and <c>to</c> attributes agree with <paramref name="From"/> and <paramref name="To"/>.</param>
/// <param name="From">The sender.</param>
/// <param name="To">The addressee.</param>
public readonly record struct Stanza(Element Element, Jid From, Jid To)
{
    /// <summary>The stanza kind: <c>message</c>, <c>presence</c> or <c>iq</c>.</summary>
    public string Name => Element.Name;

    /// <summary>The <c>type</c> attribute, or null.</summary>
    public string? Type => Element.GetAttribute("type");

    /// <summary>True for a message stanza.</summary>
    public bool IsMessage => Element.Name == "message";

    /// <summary>True for a presence stanza.</summary>
    public bool IsPresence => Element.Name == "presence";

    /// <summary>True for an iq stanza.</summary>
    public bool IsIq => Element.Name == "iq";
}
