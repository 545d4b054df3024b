using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Modules.VCard;
using Rookery.Protocol.Addressing;
using Rookery.Server.Modules;

namespace Rookery.Modules.AvatarConversion;

/// <summary>
/// The XEP-0153 hash of each account's avatar (the SHA-1 of its vCard PHOTO), cached on this node so that the presence
/// hook of XEP-0398 §4 reads storage once per account, not once per presence.
/// </summary>
/// <remarks>
/// A change made here drops the entry and is announced to the other nodes of a cluster as an <see cref="AccountChanges"/>
/// topic, on which they drop theirs (all of them when a link came up after changes may have been missed), as the
/// blocking module does with block lists. A change no node announces (a vCard edited in the database) is seen at the
/// latest <see cref="CacheLifetime"/> after the entry was loaded.
/// </remarks>
public sealed partial class AvatarHashes
{
    /// <summary>How long a cached hash is used before the vCard is read again.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(5);

    private const string Topic = "avatar";

    // Past this many accounts the cache starts over rather than grow without bound; an entry is reloaded when needed.
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<Jid, (string? Hash, long LoadedAt)> _hashes = new();
    private readonly VCardModule _vcards;
    private readonly AccountChanges _changes;
    private readonly TimeProvider _time;
    private readonly ILogger<AvatarHashes> _logger;

    // Counts every change, here or announced by another node: a load that overlapped one may have read the vCard before
    // it, so its result is used but not kept.
    private long _changeCount;

    /// <summary>Creates the cache and listens for the changes other nodes announce.</summary>
    public AvatarHashes(VCardModule vcards, AccountChanges changes, TimeProvider time, ILogger<AvatarHashes> logger)
    {
        ArgumentNullException.ThrowIfNull(changes);
        _vcards = vcards;
        _changes = changes;
        _time = time;
        _logger = logger;
        changes.Subscribe(Topic, OnChangedElsewhere);
    }

    /// <summary>The hash of the account's avatar, or null when its vCard has no photo (or none that decodes).</summary>
    public ValueTask<string?> GetAsync(Jid account, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(account);
        return _hashes.TryGetValue(account, out var entry) && _time.GetElapsedTime(entry.LoadedAt) < CacheLifetime
            ? ValueTask.FromResult(entry.Hash)
            : new ValueTask<string?>(LoadAsync(account, ct));
    }

    /// <summary>The account's avatar changed on this node: the entry goes here and on every other node.</summary>
    public void Changed(Jid account)
    {
        ArgumentNullException.ThrowIfNull(account);
        Interlocked.Increment(ref _changeCount);
        _hashes.TryRemove(account.Bare, out _);
        _changes.Publish(Topic, account.Bare, string.Empty);
    }

    /// <summary>Another node changed an account's avatar, or (no account) anything cached may be stale.</summary>
    private void OnChangedElsewhere(Jid? account, string detail)
    {
        Interlocked.Increment(ref _changeCount);
        if (account is null)
        {
            _hashes.Clear();
        }
        else
        {
            _hashes.TryRemove(account, out _);
        }
    }

    private async Task<string?> LoadAsync(Jid account, CancellationToken ct)
    {
        var changesBefore = Interlocked.Read(ref _changeCount);
        string? hash;
        try
        {
            hash = AvatarImage.HashOfPhoto(await _vcards.GetStoredAsync(account, ct).ConfigureAwait(false));
        }
        catch (FormatException e)
        {
            // A stored vCard that does not read back has no usable photo; the vCard module reports it when it is read.
            Log.UnreadableVCard(_logger, e, account);
            hash = null;
        }

        if (_hashes.Count >= MaxEntries)
        {
            _hashes.Clear();
        }

        _hashes[account] = (hash, _time.GetTimestamp());
        // Checked after caching: a change from here on removes the entry itself (it counts, then removes).
        if (Interlocked.Read(ref _changeCount) != changesBefore)
        {
            _hashes.TryRemove(account, out _);
        }

        return hash;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5545, Level = LogLevel.Warning, Message = "The stored vCard of {Account} does not read back; its presence carries no avatar hash")]
        public static partial void UnreadableVCard(ILogger logger, Exception e, Jid account);

        // Next free EventId: 5546
    }
}
