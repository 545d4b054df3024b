namespace Rookery.Storage;

/// <summary>A published item of a publish-subscribe node.</summary>
/// <param name="Id">The item id, unique within its node.</param>
/// <param name="Publisher">The full JID that published it.</param>
/// <param name="Published">When it was published (kept to the millisecond).</param>
/// <param name="PayloadXml">The <c>&lt;item/&gt;</c> element's content as XML text (empty for a notification-only item).</param>
public sealed record PubsubItem(string Id, string Publisher, DateTimeOffset Published, string PayloadXml);
