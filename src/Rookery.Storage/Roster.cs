namespace Rookery.Storage;

/// <summary>A user's roster as stored: its items and the version that XEP-0237 roster versioning hands to clients.</summary>
/// <param name="Version">
/// Increases with every change and never goes back, even when the last item is removed; 0 for a roster that was never
/// written (or whose account was deleted).
/// </param>
/// <param name="Items">The items, ordered ordinally by contact JID.</param>
public sealed record Roster(long Version, IReadOnlyList<RosterItem> Items);
