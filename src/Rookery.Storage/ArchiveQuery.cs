namespace Rookery.Storage;

/// <summary>
/// What to read from an archive: a filter that defines the result set (XEP-0313 §4.1) and a page of it (XEP-0059).
/// Every id given must be in the owner's archive, or the whole query finds nothing (item-not-found).
/// </summary>
public sealed record ArchiveQuery
{
    /// <summary>The most ids <see cref="Ids"/> may hold.</summary>
    public const int MaxIds = 500;

    /// <summary>Only messages with this bare JID (the <c>with</c> field), or null for all.</summary>
    public string? With { get; init; }

    /// <summary>With <see cref="With"/>, only messages with this resource of it (a full JID in <c>with</c>); null for any.</summary>
    public string? WithResource { get; init; }

    /// <summary>Only messages stamped at or after this instant (<c>start</c>).</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>Only messages stamped at or before this instant (<c>end</c>).</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Only messages after this archive id (<c>after-id</c>), which is itself excluded.</summary>
    public string? AfterId { get; init; }

    /// <summary>Only messages before this archive id (<c>before-id</c>), which is itself excluded.</summary>
    public string? BeforeId { get; init; }

    /// <summary>Only the messages with these archive ids (<c>ids</c>, at most <see cref="MaxIds"/>), or null for no such restriction.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>The page starts after this id of the result set (RSM <c>&lt;after/&gt;</c>).</summary>
    public string? PageAfter { get; init; }

    /// <summary>With <see cref="Backwards"/>, the page ends before this id of the result set (RSM <c>&lt;before&gt;id&lt;/before&gt;</c>).</summary>
    public string? PageBefore { get; init; }

    /// <summary>
    /// Take the page from the newest end: the <see cref="Max"/> newest messages (before <see cref="PageBefore"/> when
    /// given), as RSM <c>&lt;before/&gt;</c> asks. The page itself is still in archive order.
    /// </summary>
    public bool Backwards { get; init; }

    /// <summary>The most messages in the page; 0 asks only for the count.</summary>
    public int Max { get; init; } = 50;
}
