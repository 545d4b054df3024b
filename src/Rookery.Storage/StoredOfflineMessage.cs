namespace Rookery.Storage;

/// <summary>A message read back from offline storage, with the id used to remove it once delivered.</summary>
/// <param name="Id">The store's id, increasing in arrival order.</param>
/// <param name="StanzaXml">The stanza as stored.</param>
/// <param name="Stamp">When the server received it, kept to the millisecond at least.</param>
public sealed record StoredOfflineMessage(long Id, string StanzaXml, DateTimeOffset Stamp);
