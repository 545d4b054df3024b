using Rookery.Server.Modules;

namespace Rookery.Server.Streams;

/// <summary>
/// Stream management (XEP-0198) as a module, so that hosts can turn it off by name (<c>sm</c>): it offers the stream
/// feature; the protocol itself lives in the client stream, which owns the connection it manages.
/// </summary>
[Xep(198, "1.6.1")]
public sealed class StreamManagementModule : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "sm";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddStreamFeature("sm", C2sStream.StreamManagementNs);
    }
}
