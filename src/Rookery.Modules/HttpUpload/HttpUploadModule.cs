using Microsoft.Extensions.Options;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.HttpUpload;

/// <summary>
/// HTTP File Upload (XEP-0363) as a module name, so that hosts can turn it off like any module (<c>DisabledModules: [
/// "http_upload" ]</c>). The service is on its own domain (<c>upload.&lt;host&gt;</c>), registered in the route table by
/// <see cref="HttpUploadServiceHost"/>; the module lists it in the host's disco#items (XEP-0363 §3). It is on by default
/// when the node has an HTTP listener, as ejabberd's default configuration has <c>mod_http_upload</c>; without one it
/// serves nothing.
/// </summary>
[Xep(363, "1.1.0", XepStatus.Partial, Note = "No quotas or expiry of stored files; the legacy urn:xmpp:http:upload namespace is not served")]
public sealed class HttpUploadModule(IOptions<HttpUploadOptions> options, HttpUploadSite site) : IXmppModule
{
    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "http_upload";

    private const string DiscoItemsNs = "http://jabber.org/protocol/disco#items";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddHostItems(host => site.IsServed
            ? [new Element("item", DiscoItemsNs).SetAttribute("jid", options.Value.ServiceFor(host)).SetAttribute("name", HttpUploadService.DisplayName)]
            : []);
    }
}
