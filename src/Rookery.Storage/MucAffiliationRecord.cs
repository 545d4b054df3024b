namespace Rookery.Storage;

/// <summary>One user's standing in a room (XEP-0045 §5.2) as stored.</summary>
/// <param name="Jid">The user's bare JID (or a domain JID for a whole server).</param>
/// <param name="Affiliation">owner, admin, member, outcast or none (none only together with a reserved nick).</param>
/// <param name="Reason">Why it was given (kept for bans), or null.</param>
/// <param name="Nick">The nick the user reserved in the room (§7.10), or null.</param>
public sealed record MucAffiliationRecord(string Jid, string Affiliation, string? Reason = null, string? Nick = null);
