using Rookery.Protocol.Errors;
using Rookery.Server.Modules;

namespace Rookery.Modules.Ping;

/// <summary>
/// XMPP Ping (XEP-0199): answers pings to the host, and to a user's own bare JID from that user, so that clients can
/// check that their stream is alive.
/// </summary>
[Xep(199, "2.0.1")]
public sealed class PingModule : IXmppModule
{
    /// <summary>The XEP-0199 namespace.</summary>
    public const string Namespace = "urn:xmpp:ping";

    /// <inheritdoc />
    public string Name => "ping";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Host | IqTarget.Bare, Namespace, "ping", OnPing);
    }

    private static ValueTask<IqResult> OnPing(IqContext iq)
    {
        // XEP-0199 §4.2 (c2s ping): the server answers for the user's own account; a ping to someone else's bare JID is
        // not the server's to answer (RFC 6121 §8.5.2.1.3 lets it refuse), and must not hint at that account.
        if (iq.To.Local is not null && !iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable);
        }

        return ValueTask.FromResult(IqResult.Empty);
    }
}
