using Rookery.Components;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// The sink of a MUC service behind a XEP-0114 component connection (<c>rookery component --service muc</c>): stanzas
/// are stamped with their addresses and written to the component stream of the current connection.
/// </summary>
public sealed class ComponentStanzaSink : IMucStanzaSink
{
    private volatile IComponentContext? _context;

    /// <summary>The connection stanzas go to; set on every (re)connection.</summary>
    public IComponentContext? Context
    {
        get => _context;
        set => _context = value;
    }

    /// <inheritdoc />
    public ValueTask SendAsync(Element stanza, Jid sender, Jid recipient)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        var context = _context ?? throw new InvalidOperationException("The component is not connected");
        stanza.SetAttribute("from", sender.ToString()).SetAttribute("to", recipient.ToString());
        return context.SendAsync(stanza);
    }
}
