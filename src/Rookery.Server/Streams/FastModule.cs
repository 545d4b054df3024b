using Rookery.Server.Modules;

namespace Rookery.Server.Streams;

/// <summary>
/// FAST token authentication (XEP-0484) as a module (<c>fast</c>), so hosts can turn it off: inside SASL2, over TLS
/// only, a client that logged in once may ask for a token bound to its user-agent id and one HT-SHA-256 mechanism, and
/// later log in with it in a single round trip. Tokens live in the shared store (<c>IFastTokenStore</c>), so any
/// cluster node accepts them; the two-slot rotation of XEP-0484 §6.1 keeps a client that missed its new token able to
/// log in with the old one. The protocol lives in the client stream.
/// </summary>
[Xep(484, "0.1.0", XepStatus.Partial, Note = "No TLS 0-RTT (so the replay counter is not needed and ignored)")]
public sealed class FastModule : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "fast";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder) => ArgumentNullException.ThrowIfNull(builder);
}
