namespace Rookery.Storage;

/// <summary>A message to be stored offline.</summary>
/// <param name="StanzaXml">The full message stanza as XML, with its from and to.</param>
/// <param name="Stamp">When the server received it, for the XEP-0203 delay stamp on delivery.</param>
public sealed record OfflineMessage(string StanzaXml, DateTimeOffset Stamp);
