using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// One room of a MUC service (XEP-0045): its configuration, affiliations, occupants, subject and history. A room
/// handles one stanza at a time (its service holds <see cref="Gate"/> around <see cref="HandleAsync"/>), so its state
/// needs no other lock. One partial file per room feature, like Prosody's <c>plugins/muc/*.lib.lua</c>: presence
/// (join, leave, nick change), messages (groupchat, private, subject), history, discovery, configuration, roles and
/// affiliations, invitations, registration, destruction, iq to occupants (self-ping), archive and persistence.
/// </summary>
internal sealed partial class MucRoom
{
    private readonly MucService _service;
    private readonly Dictionary<string, Occupant> _byNick = new(StringComparer.Ordinal);
    private readonly Dictionary<Jid, Occupant> _byRealJid = [];
    private readonly Dictionary<Jid, AffiliationEntry> _affiliations = [];
    private readonly RoomHistory _history;

    /// <summary>An affiliation with the reason it was given and the user's reserved nick.</summary>
    internal sealed record AffiliationEntry(MucAffiliation Affiliation, string? Reason, string? Nick);

    public MucRoom(MucService service, Jid jid, RoomConfig config, bool locked)
    {
        _service = service;
        Jid = jid;
        Config = config;
        Locked = locked;
        _history = new RoomHistory(service.Options.HistoryMessages);
        if (string.IsNullOrEmpty(config.OccupantIdSecret))
        {
            config.OccupantIdSecret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }
    }

    /// <summary>The room's bare JID, room@service.</summary>
    public Jid Jid { get; }

    /// <summary>The current configuration.</summary>
    public RoomConfig Config { get; private set; }

    /// <summary>
    /// A new room that its owner has not configured yet (§10.1.1): nobody else may enter until the owner submits the
    /// configuration form or accepts the instant defaults.
    /// </summary>
    public bool Locked { get; private set; }

    /// <summary>Set once the room is gone; a stanza that waited for the gate looks the room up again.</summary>
    public bool Destroyed { get; private set; }

    /// <summary>Serialises the room's stanzas: held by the service around <see cref="HandleAsync"/>.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The current subject, or null when never set.</summary>
    public string? Subject { get; private set; }

    /// <summary>The nick that set the subject, or null.</summary>
    public string? SubjectNick { get; private set; }

    /// <summary>How many occupants are in the room.</summary>
    public int OccupantCount => _byNick.Count;

    /// <summary>Whether the room should go away now: empty and not persistent (§10.1.3 temporary rooms).</summary>
    public bool IsDisposable => _byNick.Count == 0 && !Config.Persistent;

    /// <summary>Marks the room as gone; later stanzas find it no longer exists.</summary>
    public void MarkDestroyed() => Destroyed = true;

    /// <summary>Handles one stanza addressed to the room (bare) or to an occupant (full). Never throws.</summary>
    public async ValueTask HandleAsync(Element stanza, Jid from, Jid to, CancellationToken ct)
    {
        try
        {
            switch (stanza.Name)
            {
                case "presence":
                    await OnPresenceAsync(stanza, from, to, ct);
                    break;
                case "message":
                    await OnMessageAsync(stanza, from, to, ct);
                    break;
                case "iq":
                    await OnIqAsync(stanza, from, to, ct);
                    break;
            }
        }
        catch (StanzaErrorException e)
        {
            await BounceAsync(stanza, from, to, e.Condition, e.Text);
        }
    }

    /// <summary>Answers <paramref name="stanza"/> with an error unless it is an error or a result (RFC 6120 §8.3.1).</summary>
    public ValueTask BounceAsync(Element stanza, Jid from, Jid to, StanzaErrorCondition condition, string? text = null)
    {
        if (StanzaErrors.MustNotBounce(stanza))
        {
            return ValueTask.CompletedTask;
        }

        var reply = StanzaErrors.BuildReply(stanza, condition, text, by: Jid.ToString());
        return _service.Sink.SendAsync(reply, to, from);
    }

    private async ValueTask OnIqAsync(Element iq, Jid from, Jid to, CancellationToken ct)
    {
        if (to.Resource is not null)
        {
            await OnOccupantIqAsync(iq, from, to);
            return;
        }

        var type = iq.GetAttribute("type");
        if (type is not ("get" or "set"))
        {
            return;
        }

        var payload = iq.FirstElement() ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "An iq request needs a payload");
        var get = type == "get";
        Element? result = (payload.Namespace, payload.Name, get) switch
        {
            (MucNs.Admin, "query", true) => AdminGet(payload, from),
            (MucNs.Admin, "query", false) => await AdminSetAsync(payload, from, ct),
            (MucNs.Owner, "query", true) => OwnerGet(from),
            (MucNs.Owner, "query", false) => await OwnerSetAsync(payload, from, ct),
            (MucNs.DiscoInfo, "query", true) => DiscoInfo(payload, from),
            (MucNs.DiscoItems, "query", true) => DiscoItems(payload, from),
            (MucNs.IqRegister, "query", true) => RegisterGet(from),
            (MucNs.IqRegister, "query", false) => await RegisterSetAsync(payload, from, ct),
            (MucNs.Mam, "query", false) => await ArchiveQueryAsync(payload, from, ct),
            (MucNs.Mam, "query", true) => ArchiveForm(from),
            (MucNs.Ping, "ping", true) => null,
            (MucNs.Moderate, "moderate", false) => await ModerateAsync(ParseModerate(payload), from, ct),
            (MucNs.Fasten, "apply-to", false) => await ModerateAsync(ParseApplyTo(payload), from, ct),
            _ => throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable),
        };

        if (Destroyed && !(payload.Namespace == MucNs.Owner && !get))
        {
            return;
        }

        var reply = new Element("iq", iq.Namespace).SetAttribute("type", "result").SetAttribute("id", iq.GetAttribute("id"));
        if (result is not null)
        {
            reply.Add(result);
        }

        await _service.Sink.SendAsync(reply, to, from);
    }

    /// <summary>The occupant whose real full JID is <paramref name="realJid"/>, or null.</summary>
    private Occupant? FindOccupant(Jid realJid) => _byRealJid.GetValueOrDefault(realJid);

    /// <summary>A user's affiliation (by bare JID, then by the JID's domain for server-wide entries, §9.1).</summary>
    public MucAffiliation AffiliationOf(Jid jid)
    {
        if (_affiliations.TryGetValue(jid.Bare, out var entry))
        {
            return entry.Affiliation;
        }

        return jid.Local is not null && _affiliations.TryGetValue(Jid.Create(null, jid.Domain), out var server)
            ? server.Affiliation
            : MucAffiliation.None;
    }

    /// <summary>The nick a user reserved, or null.</summary>
    private string? ReservedNickOf(Jid jid) => _affiliations.GetValueOrDefault(jid.Bare)?.Nick;

    /// <summary>The bare JID that reserved <paramref name="nick"/>, or null.</summary>
    private Jid? NickOwner(string nick)
    {
        foreach (var (jid, entry) in _affiliations)
        {
            if (entry.Nick == nick)
            {
                return jid;
            }
        }

        return null;
    }

    /// <summary>The role an occupant gets on entering (§5.1.2): by affiliation, visitors in a moderated room.</summary>
    private MucRole DefaultRole(MucAffiliation affiliation) => affiliation switch
    {
        MucAffiliation.Owner or MucAffiliation.Admin => MucRole.Moderator,
        MucAffiliation.Member => MucRole.Participant,
        _ => Config.Moderated ? MucRole.Visitor : MucRole.Participant,
    };

    /// <summary>Whether <paramref name="receiver"/> sees real JIDs (§7.2.3 vs §7.2.4).</summary>
    private bool SeesRealJids(Occupant receiver) => Config.Whois == MucWhois.Anyone || receiver.Role == MucRole.Moderator;

    /// <summary>The occupants as a list taken now: sends await, and the room's maps must not change while enumerated.</summary>
    private List<Occupant> Occupants() => [.. _byNick.Values];

    /// <summary>The maximum number of occupants: the room's setting, capped by the service's.</summary>
    private int MaxUsers => Config.MaxUsers > 0 ? Math.Min(Config.MaxUsers, _service.Options.MaxUsers) : _service.Options.MaxUsers;

    /// <summary>Builds <c>&lt;x xmlns='muc#user'&gt;</c> with status codes.</summary>
    private static Element UserX(params ReadOnlySpan<int> statuses)
    {
        var x = new Element("x", MucNs.User);
        foreach (var code in statuses)
        {
            AddStatus(x, code);
        }

        return x;
    }

    private static void AddStatus(Element x, int code) =>
        x.AddChild("status").SetAttribute("code", code.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Sends a groupchat message from the room itself (status-code notices, §10.2.1) to every occupant.</summary>
    private async ValueTask NotifyAsync(params int[] statuses)
    {
        foreach (var o in Occupants())
        {
            var message = new Element("message", Ns.Client).SetAttribute("type", "groupchat").SetAttribute("id", Guid.NewGuid().ToString("N"));
            message.Add(UserX(statuses));
            await _service.Sink.SendAsync(message, Jid, o.RealJid);
        }
    }

    /// <summary>Stores the room when persistent (configuration, subject, affiliations).</summary>
    private Task SaveAsync(CancellationToken ct) => IsStored ? _service.SaveRoomAsync(this, ct) : Task.CompletedTask;

    /// <summary>Whether the room is kept in storage: persistent rooms, and on a cluster every room until it ends.</summary>
    private bool IsStored => Config.Persistent || _service.IsClustered;

    /// <summary>The affiliations as stored.</summary>
    public IEnumerable<KeyValuePair<Jid, AffiliationEntry>> Affiliations => _affiliations;

    /// <summary>Puts back what storage holds: affiliations, subject (on re-creating a persistent room).</summary>
    public void Restore(IEnumerable<(Jid Jid, AffiliationEntry Entry)> affiliations, string? subject, string? subjectNick)
    {
        foreach (var (jid, entry) in affiliations)
        {
            _affiliations[jid] = entry;
        }

        Subject = subject;
        SubjectNick = subjectNick;
    }

    /// <summary>Adds a message to the join history (used when history is reloaded from the archive).</summary>
    public void AddHistory(Element message, DateTimeOffset stamp) => _history.Add(message, stamp);
}
