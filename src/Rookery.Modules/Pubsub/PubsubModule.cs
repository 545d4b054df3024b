using Microsoft.Extensions.Options;
using Rookery.Modules.Disco;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// A generic publish-subscribe service (XEP-0060) as a module name, so that hosts can turn it off like any module
/// (<c>DisabledModules: [ "pubsub" ]</c>). The service is on its own domain (<c>pubsub.&lt;host&gt;</c>), registered in
/// the route table by <see cref="PubsubServiceHost"/>; the module lists it in the host's disco#items (XEP-0060 §5.1).
/// On by default, as ejabberd's and Prosody's default configurations have <c>mod_pubsub</c>.
/// </summary>
[Xep(60, "1.26.0", XepStatus.Partial, Note = "pubsub.<host>: leaf nodes with open, presence, roster, authorize and whitelist access (pending subscriptions approved by the §8.6 approval form sent to the owners or with §8.8.2; no §8.7 get-pending command); multi-subscribe; subscription options pubsub#deliver and pubsub#show-values (no digests, include_body, expire); result set management on items and disco#items; no collections or presence-based delivery (on_sub_and_presence)")]
public sealed class PubsubModule(IOptions<PubsubOptions> options) : IXmppModule
{
    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "pubsub";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddHostItems(host =>
            [new Element("item", DiscoModule.ItemsNamespace).SetAttribute("jid", options.Value.ServiceFor(host)).SetAttribute("name", PubsubService.DisplayName)]);
    }
}
