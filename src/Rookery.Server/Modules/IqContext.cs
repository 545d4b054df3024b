using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Modules;

/// <summary>One iq request as a handler sees it.</summary>
/// <param name="Stanza">The whole iq stanza, with from and to already stamped.</param>
/// <param name="Payload">The iq's child element that selected the handler.</param>
/// <param name="From">The sender (a full JID for clients).</param>
/// <param name="To">The addressee: the host's JID or a local bare JID (the sender's own for an iq with no <c>to</c>).</param>
/// <param name="Type">get or set.</param>
/// <param name="Session">The sender's session when it is a local client of this node, else null.</param>
/// <param name="Cancellation">Cancelled when the server stops.</param>
public sealed record IqContext(Element Stanza, Element Payload, Jid From, Jid To, IqType Type, Sessions.IClientSession? Session, CancellationToken Cancellation)
{
    /// <summary>True when the sender asks about its own account (no <c>to</c>, or its own bare JID).</summary>
    public bool IsSelf => To.Bare == From.Bare;

    /// <summary>
    /// Which kind of address <see cref="To"/> is, for a handler registered for several (<see cref="IqTarget.AbsentAccount"/>
    /// tells a bare JID without an account from one with).
    /// </summary>
    public IqTarget Target { get; init; }
}
