using Rookery.Protocol.Addressing;

namespace Rookery.Modules.Pep;

/// <summary>
/// Told after an account changed the items of one of its PEP nodes through the protocol, once the change is stored and
/// notified (Prosody's <c>item-published</c> event, ejabberd's <c>pubsub_publish_item</c> hook). Changes made by other
/// modules on the account's behalf are not told, so that two views kept in step by a handler cannot echo each other.
/// </summary>
/// <param name="owner">The account's bare JID.</param>
/// <param name="node">The node that changed.</param>
/// <param name="change">What happened to it, with the item for a publication.</param>
/// <param name="ct">Cancelled when the requesting stream or the server stops.</param>
public delegate ValueTask PepNodeChangedHandler(Jid owner, string node, PepNodeChange change, CancellationToken ct);
