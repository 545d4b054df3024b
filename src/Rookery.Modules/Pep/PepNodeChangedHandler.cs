using Rookery.Protocol.Addressing;

namespace Rookery.Modules.Pep;

/// <summary>
/// Told after an account changed the items of one of its PEP nodes through the protocol, once the change is stored and
/// notified (changes made by other modules on the account's behalf are not told, so that two views kept in step by a
/// handler cannot echo each other).
/// </summary>
/// <param name="owner">The account's bare JID.</param>
/// <param name="node">The node that changed.</param>
/// <param name="change">What happened to it.</param>
/// <param name="ct">Cancelled when the server stops.</param>
public delegate ValueTask PepNodeChangedHandler(Jid owner, string node, PepNodeChange change, CancellationToken ct);
