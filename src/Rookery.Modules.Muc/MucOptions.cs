namespace Rookery.Modules.Muc;

/// <summary>Settings of the <c>muc</c> module (configuration section <c>Modules:Muc</c>).</summary>
public sealed class MucOptions
{
    /// <summary>
    /// The label put in front of each host's domain to name its MUC service: <c>conference</c> serves
    /// <c>conference.example.com</c> for <c>example.com</c>. Default <c>conference</c>.
    /// </summary>
    public string Subdomain { get; init; } = "conference";

    /// <summary>
    /// Per-host service domains that replace the default name, keyed by host (<c>"example.com": "chat.example.com"</c>).
    /// A host where the <c>muc</c> module is disabled has no service.
    /// </summary>
    public Dictionary<string, string> ServiceNames { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Who may create rooms: <c>LocalUsers</c> (accounts of the host, default), <c>Anyone</c> or <c>Admins</c>.</summary>
    public MucRoomCreation RoomCreation { get; init; } = MucRoomCreation.LocalUsers;

    /// <summary>Messages a room keeps for history on join (XEP-0045 §7.2.15). Default 20; 0 to 1000.</summary>
    public int HistoryMessages { get; init; } = 20;

    /// <summary>Occupants a room admits when its configuration sets no lower limit. Default 1000; at least 1.</summary>
    public int MaxUsers { get; init; } = 1000;

    /// <summary>Whether new rooms are persistent until their owner says otherwise. Default false.</summary>
    public bool PersistentByDefault { get; init; }

    /// <summary>Whether new rooms archive their messages (XEP-0313) until their owner says otherwise. Default false.</summary>
    public bool LoggingByDefault { get; init; }

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Muc</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (string.IsNullOrWhiteSpace(Subdomain) || Subdomain.Contains('@', StringComparison.Ordinal) || Subdomain.Contains('/', StringComparison.Ordinal))
        {
            yield return (nameof(Subdomain), "must be a domain label such as 'conference'");
        }

        foreach (var (host, service) in ServiceNames)
        {
            if (string.IsNullOrWhiteSpace(service) || service.Contains('@', StringComparison.Ordinal) || service.Contains('/', StringComparison.Ordinal))
            {
                yield return ($"{nameof(ServiceNames)}:{host}", $"'{service}' is not a domain name");
            }
        }

        if (!Enum.IsDefined(RoomCreation))
        {
            yield return (nameof(RoomCreation), "must be LocalUsers, Anyone or Admins");
        }

        if (HistoryMessages is < 0 or > 1000)
        {
            yield return (nameof(HistoryMessages), "must be between 0 and 1000");
        }

        if (MaxUsers < 1)
        {
            yield return (nameof(MaxUsers), "must be at least 1");
        }
    }

    /// <summary>The service domain of a host: its entry in <see cref="ServiceNames"/>, else <see cref="Subdomain"/>.host.</summary>
    public string ServiceFor(string host) =>
        ServiceNames.TryGetValue(host, out var name) ? name : string.Concat(Subdomain, ".", host);
}
