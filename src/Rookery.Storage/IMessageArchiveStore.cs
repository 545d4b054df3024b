namespace Rookery.Storage;

/// <summary>
/// Users' message archives (XEP-0313) and their archiving preferences (XEP-0441). Owners are bare JIDs. An archive is
/// ordered by the ordinal order of its ids; the caller assigns ids that increase with time.
/// </summary>
public interface IMessageArchiveStore
{
    /// <summary>
    /// Adds a message to <paramref name="owner"/>'s archive; returns false, storing nothing, when the archive already has
    /// a message with that id. Completes once the message is durable.
    /// </summary>
    Task<bool> AppendAsync(string owner, ArchivedMessage message, CancellationToken ct = default);

    /// <summary>
    /// Adds several messages, each to its owner's archive, in ONE transaction (group commit: one durable commit for the
    /// whole batch). Returns, in the order of <paramref name="entries"/>, whether each was stored: false when its archive
    /// already had that id, also when an earlier entry of the same batch took it. Completes once every stored message is
    /// durable; on an exception nothing of the batch is stored.
    /// </summary>
    Task<IReadOnlyList<bool>> AppendManyAsync(IReadOnlyList<ArchiveAppend> entries, CancellationToken ct = default);

    /// <summary>
    /// Reads one page of the messages of <paramref name="owner"/>'s archive that match <paramref name="query"/>, from one
    /// consistent snapshot; returns null when an id the query names (<see cref="ArchiveQuery.AfterId"/>,
    /// <see cref="ArchiveQuery.BeforeId"/>, <see cref="ArchiveQuery.Ids"/>, <see cref="ArchiveQuery.PageAfter"/>,
    /// <see cref="ArchiveQuery.PageBefore"/>) is not in that archive.
    /// </summary>
    Task<ArchivePage?> QueryAsync(string owner, ArchiveQuery query, CancellationToken ct = default);

    /// <summary>
    /// Replaces the stanza of the message <paramref name="id"/> of <paramref name="owner"/>'s archive with
    /// <paramref name="stanzaXml"/>, keeping its id, peer, stamp and direction (a retraction tombstone, XEP-0424/XEP-0425,
    /// takes the original's place in the archive order). Returns false, changing nothing, when there is no such message.
    /// </summary>
    Task<bool> ReplaceAsync(string owner, string id, string stanzaXml, CancellationToken ct = default);

    /// <summary>Removes every message of <paramref name="owner"/>'s archive (the preferences stay); returns how many.</summary>
    Task<int> DeleteAllAsync(string owner, CancellationToken ct = default);

    /// <summary>Removes the messages of every archive stamped before <paramref name="olderThan"/> (retention); returns how many.</summary>
    Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken ct = default);

    /// <summary>The preferences <paramref name="owner"/> set, or null when the user never set any.</summary>
    Task<ArchivePreferences?> GetPreferencesAsync(string owner, CancellationToken ct = default);

    /// <summary>
    /// Replaces <paramref name="owner"/>'s preferences. A JID in both lists is kept in <see cref="ArchivePreferences.Never"/>
    /// only; duplicates are kept once.
    /// </summary>
    Task SetPreferencesAsync(string owner, ArchivePreferences preferences, CancellationToken ct = default);
}
