namespace Rookery.Storage;

/// <summary>A user's archiving preferences (XEP-0441).</summary>
/// <param name="Default">What is archived for JIDs in neither list.</param>
/// <param name="Always">JIDs (bare or full) whose messages are always archived.</param>
/// <param name="Never">JIDs (bare or full) whose messages are never archived; a store keeps a JID in one list only.</param>
public sealed record ArchivePreferences(ArchiveDefault Default, IReadOnlyList<string> Always, IReadOnlyList<string> Never);
