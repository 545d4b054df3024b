using Microsoft.Extensions.Options;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Proxy65;

/// <summary>
/// SOCKS5 Bytestreams (XEP-0065) mediated connections as a module name, so that hosts can turn the proxy off like any
/// module (<c>DisabledModules: [ "proxy65" ]</c>). The proxy is on its own domain (<c>proxy.&lt;host&gt;</c>), registered
/// by <see cref="Proxy65ServiceHost"/>; the module lists it in the host's disco#items (XEP-0065 §4). It serves only
/// while the node's SOCKS5 listener (<c>Listeners:Proxy65</c>) is open, which is off by default.
/// </summary>
[Xep(65, "1.8.2", XepStatus.Partial, Note = "The proxy (mediated connections) only: no UDP mode, no bandwidth limit; activation is handled by the node the requester is connected to, for streams on that node's proxy")]
public sealed class Proxy65Module(IOptions<Proxy65Options> options, Proxy65Listener listener) : IXmppModule
{
    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "proxy65";

    private const string DiscoItemsNs = "http://jabber.org/protocol/disco#items";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddHostItems(host => listener.IsServed
            ? [new Element("item", DiscoItemsNs).SetAttribute("jid", options.Value.ServiceFor(host)).SetAttribute("name", Proxy65Service.DisplayName)]
            : []);
    }
}
