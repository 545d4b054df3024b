namespace Rookery.Storage;

/// <summary>An inbound subscription request awaiting the user's decision, kept to be re-sent at each login.</summary>
/// <param name="Contact">The requester's bare JID.</param>
/// <param name="StanzaXml">The original presence stanza (so that its status text and extensions are re-delivered).</param>
public sealed record PendingSubscription(string Contact, string StanzaXml);
