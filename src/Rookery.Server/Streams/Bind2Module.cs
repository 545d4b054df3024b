using Rookery.Server.Modules;

namespace Rookery.Server.Streams;

/// <summary>
/// Bind 2 (XEP-0386) as a module (<c>bind2</c>), so hosts can turn it off: inside a SASL2 authentication the client
/// stream binds a server-generated resource (<c>tag/id</c>, stable per SASL2 user-agent id) and enables stream
/// management, carbons and the client's initial CSI state in the same round trip. A session bound this way is an
/// ordinary session (routing table, cluster replication, conflict on a duplicate resource, resumption).
/// </summary>
[Xep(386, "1.0.1", XepStatus.Partial, Note = "<bound/> carries no XEP-0313 archive metadata and offline messages are not cleared at bind")]
public sealed class Bind2Module : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "bind2";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder) => ArgumentNullException.ThrowIfNull(builder);
}
