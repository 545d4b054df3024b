using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>Settings of the <c>mam</c> module (configuration section <c>Modules:Mam</c>).</summary>
public sealed class MamOptions
{
    /// <summary>
    /// Messages in a page of query results when the client gives no RSM <c>&lt;max/&gt;</c>. Default 50; at least 1, and
    /// never more than <see cref="MaxPageSize"/>.
    /// </summary>
    public int DefaultPageSize { get; init; } = 50;

    /// <summary>
    /// Most messages in one page of query results; a larger <c>&lt;max/&gt;</c> is cut down to it and the client pages on
    /// (XEP-0313 §4.3.1). Default 250; 1 to 10000.
    /// </summary>
    public int MaxPageSize { get; init; } = 250;

    /// <summary>
    /// Days a message stays in the archives; older ones are removed every hour. Default 0: kept until the user or the
    /// account is deleted. 0 to 36500.
    /// </summary>
    public int RetentionDays { get; init; }

    /// <summary>
    /// What is archived for a user who never set preferences (XEP-0441): <c>Always</c> (every message), <c>Roster</c>
    /// (messages with contacts in the roster) or <c>Never</c>. Default <c>Always</c>.
    /// </summary>
    public ArchiveDefault Default { get; init; } = ArchiveDefault.Always;

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Mam</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MaxPageSize is < 1 or > 10_000)
        {
            yield return (nameof(MaxPageSize), "must be between 1 and 10000");
        }

        if (DefaultPageSize < 1)
        {
            yield return (nameof(DefaultPageSize), "must be at least 1");
        }

        if (RetentionDays is < 0 or > 36_500)
        {
            yield return (nameof(RetentionDays), "must be between 0 (keep forever) and 36500");
        }

        if (!Enum.IsDefined(Default))
        {
            yield return (nameof(Default), "must be Always, Roster or Never");
        }
    }
}
