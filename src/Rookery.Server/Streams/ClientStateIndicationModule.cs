using Rookery.Server.Modules;
using Rookery.Server.Sessions;

namespace Rookery.Server.Streams;

/// <summary>
/// Client state indication (XEP-0352) as a module (<c>csi</c>), so hosts can turn it off: it offers the stream feature;
/// the client stream handles &lt;active/&gt; and &lt;inactive/&gt; and the session holds back what can wait.
/// </summary>
[Xep(352, "1.0.0")]
public sealed class ClientStateIndicationModule : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "csi";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddStreamFeature("csi", ClientStateIndication.Namespace);
    }
}
