namespace Rookery.Storage;

/// <summary>One message in a user's archive (XEP-0313 §3).</summary>
/// <param name="Id">
/// The archive id: unique within the owner's archive and never reused. The archive is ordered by the ordinal order of
/// ids, so the caller hands out ids that increase with time (see the module's id generator).
/// </param>
/// <param name="With">The bare JID of the other party: the recipient of an outgoing message, the sender of an incoming one.</param>
/// <param name="WithResource">The other party's resource, or null when its address was a bare JID.</param>
/// <param name="Stamp">When the server archived it, kept to the millisecond.</param>
/// <param name="Direction">Whether the owner sent or received it.</param>
/// <param name="StanzaXml">The message stanza as it was routed, serialised in the <c>jabber:client</c> namespace.</param>
public sealed record ArchivedMessage(string Id, string With, string? WithResource, DateTimeOffset Stamp, ArchiveDirection Direction, string StanzaXml);
