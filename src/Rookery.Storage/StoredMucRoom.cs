namespace Rookery.Storage;

/// <summary>A persistent room as stored (XEP-0045 §10.1.3 "persistent room").</summary>
/// <param name="Room">The room's bare JID, <c>room@service</c>.</param>
/// <param name="Config">The room configuration, as the MUC service serialises it (JSON); opaque to the store.</param>
/// <param name="Subject">The current subject, or null when none was ever set.</param>
/// <param name="SubjectNick">The nick of whoever set the subject, or null.</param>
/// <param name="Affiliations">Every user with an affiliation or a reserved nick, in ordinal order of JID.</param>
public sealed record StoredMucRoom(string Room, string Config, string? Subject, string? SubjectNick, IReadOnlyList<MucAffiliationRecord> Affiliations);
