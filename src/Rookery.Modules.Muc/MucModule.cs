using Microsoft.Extensions.Options;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Muc;

/// <summary>
/// Multi-user chat (XEP-0045) as a module name, so that hosts can turn it off like any module (<c>DisabledModules: [
/// "muc" ]</c>). The service itself is not on the host's JID but on its own domain, registered in the route table by
/// <see cref="MucServiceHost"/>; the module adds nothing to the host's disco#info, and lists the service in the host's
/// disco#items (XEP-0045 §6.1: a client finds the MUC service among the server's items). Moderators of a logged room
/// may retract occupants' messages (XEP-0425, <c>MucRoom.Moderation.cs</c>): the archive keeps a tombstone in their place.
/// </summary>
[Xep(45, "1.34.5", XepStatus.Partial, Note = "Rooms survive node loss on a cluster; no MUC presence to remote domains over s2s")]
[Xep(249, "1.2", Note = "Direct invitations pass between clients untouched")]
[Xep(410, "1.1.0")]
[Xep(421, "0.1.0")]
[Xep(425, "0.3.0", Note = "Logged rooms only (only they give messages stanza-ids); 0.2 requests (urn:xmpp:message-moderate:0) accepted too")]
public sealed class MucModule(IOptions<MucOptions> options) : IXmppModule
{
    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "muc";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddHostItems(host =>
        [
            new Element("item", DiscoItemsNs).SetAttribute("jid", options.Value.ServiceFor(host)).SetAttribute("name", "Chatrooms"),
        ]);
    }

    private const string DiscoItemsNs = "http://jabber.org/protocol/disco#items";
}
