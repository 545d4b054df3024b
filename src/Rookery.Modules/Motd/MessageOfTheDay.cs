using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.Motd;

/// <summary>
/// Each host's message of the day (XEP-0133 §4.24 to §4.26), kept in the database every cluster node shares (as a
/// document of the host's own JID in the user data store) and cached per node, since every login asks for it. A change
/// made here is announced to the other nodes (<see cref="AccountChanges"/>), which drop their copy; a node that may have
/// missed announcements (a link came up) drops all of them.
/// </summary>
public sealed partial class MessageOfTheDay
{
    /// <summary>The cluster topic of changes.</summary>
    public const string Topic = "motd";

    /// <summary>The most UTF-8 bytes a stored message may take.</summary>
    public const int MaxBytes = 16 * 1024;

    private const string Kind = "motd";
    private const string Key = "motd";
    private const string Namespace = "http://jabber.org/protocol/admin";

    private readonly IUserDataStore _store;
    private readonly AccountChanges _changes;
    private readonly ILogger _logger;
    // Host → its message, or null for none. Safe to be stale for a moment: only what a login is greeted with.
    private readonly ConcurrentDictionary<string, string?> _cache = new(StringComparer.Ordinal);

    /// <summary>Subscribes to the other nodes' changes (the instance is created once, at start-up).</summary>
    public MessageOfTheDay(IUserDataStore store, AccountChanges changes, ILogger<MessageOfTheDay> logger)
    {
        ArgumentNullException.ThrowIfNull(changes);
        _store = store;
        _changes = changes;
        _logger = logger;
        changes.Subscribe(Topic, OnChangedElsewhere);
    }

    /// <summary>The host's message of the day, or null when none is set.</summary>
    public async ValueTask<string?> GetAsync(string host, CancellationToken ct = default)
    {
        if (_cache.TryGetValue(host, out var cached))
        {
            return cached;
        }

        var xml = await _store.GetAsync(host, Kind, Key, ct).ConfigureAwait(false);
        var text = xml is null ? null : XmlDocuments.Parse(xml).Text;
        _cache[host] = text;
        return text;
    }

    /// <summary>Sets (or, with null, deletes) the host's message of the day and tells the other nodes.</summary>
    /// <exception cref="Protocol.Errors.StanzaErrorException">not-acceptable when the message is longer than <see cref="MaxBytes"/>.</exception>
    public async ValueTask SetAsync(string host, string? text, CancellationToken ct = default)
    {
        if (text is null)
        {
            await _store.DeleteAsync(host, Kind, Key, ct).ConfigureAwait(false);
        }
        else
        {
            var xml = XmlDocuments.Serialize(new Element("motd", Namespace).AddText(text), MaxBytes);
            // One document per host: replacing it always succeeds, so the key limit of 1 is never reached.
            await _store.TrySetAsync(host, Kind, Key, xml, maxKeys: 1, ct).ConfigureAwait(false);
        }

        _cache[host] = text;
        _changes.Publish(Topic, Jid.Create(null, host), string.Empty);
        Log.Changed(_logger, host, text is null ? "deleted" : "set");
    }

    private void OnChangedElsewhere(Jid? host, string detail)
    {
        if (host is null)
        {
            _cache.Clear();
        }
        else
        {
            _cache.TryRemove(host.Domain, out _);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5621, Level = LogLevel.Information, Message = "The message of the day of {Host} was {Change}")]
        public static partial void Changed(ILogger logger, string host, string change);
    }
}
