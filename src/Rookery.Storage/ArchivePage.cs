namespace Rookery.Storage;

/// <summary>One page of an archive query.</summary>
/// <param name="Items">The messages of the page, in archive order (oldest first), whatever the paging direction.</param>
/// <param name="Complete">
/// True when the page reaches the end of the result set in the paging direction (the newest end when paging forwards,
/// the oldest with <see cref="ArchiveQuery.Backwards"/>): no further page would return anything (XEP-0313 §4.3).
/// </param>
/// <param name="Count">The number of messages in the whole result set (RSM <c>&lt;count/&gt;</c>).</param>
/// <param name="FirstIndex">The position of the page's first message within the result set (RSM <c>index</c>).</param>
public sealed record ArchivePage(IReadOnlyList<ArchivedMessage> Items, bool Complete, int Count, int FirstIndex)
{
    /// <summary>The id of the page's first message, or null for an empty page.</summary>
    public string? First => Items.Count == 0 ? null : Items[0].Id;

    /// <summary>The id of the page's last message, or null for an empty page.</summary>
    public string? Last => Items.Count == 0 ? null : Items[^1].Id;
}
