using Rookery.Server.Modules;

namespace Rookery.Server.Streams;

/// <summary>
/// The Extensible SASL Profile (XEP-0388) as a module (<c>sasl2</c>), so hosts can turn it off: the client stream
/// offers <c>&lt;authentication xmlns='urn:xmpp:sasl:2'/&gt;</c> beside the RFC 6120 mechanisms, with the same
/// mechanisms and rules (PLAIN only inside TLS, -PLUS only with a channel binding, the same failure slow-down), and
/// does not restart the stream after success. The protocol lives in the client stream, which owns the negotiation.
/// </summary>
[Xep(388, "1.0.4", XepStatus.Partial, Note = "No <continue/> tasks (second factor, SCRAM upgrade, password change); <supported/> is ignored")]
public sealed class Sasl2Module : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "sasl2";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder) => ArgumentNullException.ThrowIfNull(builder);
}
