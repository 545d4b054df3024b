namespace Rookery.Modules.ExternalServices;

/// <summary>
/// One STUN or TURN server announced to the host's users by the <c>extdisco</c> module (an entry of
/// <c>Modules:ExternalServices:Services</c>), with fixed credentials, TURN REST API credentials derived from a shared
/// secret, or none.
/// </summary>
public sealed class ExternalServiceOptions
{
    /// <summary>The service types this server announces (XEP-0215 §8.3 registry): STUN and TURN, plain or over TLS.</summary>
    public static readonly IReadOnlyList<string> Types = ["stun", "turn", "stuns", "turns"];

    /// <summary>The transports a service may be reached over (XEP-0215 §2).</summary>
    public static readonly IReadOnlyList<string> Transports = ["udp", "tcp"];

    /// <summary>The service type: <c>stun</c>, <c>turn</c>, <c>stuns</c> or <c>turns</c>. Required.</summary>
    public string Type { get; init; } = string.Empty;

    /// <summary>The host name or IP address clients connect to (for example <c>turn.example.com</c>). Required.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The port clients connect to; required, 1 to 65535 (coturn listens on 3478, and 5349 for TLS).</summary>
    public int Port { get; init; }

    /// <summary>
    /// The transport: <c>udp</c> or <c>tcp</c>. Empty: <c>tcp</c> for <c>stuns</c> and <c>turns</c> (they run over TLS),
    /// <c>udp</c> otherwise.
    /// </summary>
    public string Transport { get; init; } = string.Empty;

    /// <summary>A name for humans, sent as the service's <c>name</c>; empty sends none.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>A fixed user name for the service (with <see cref="Password"/>); empty when none or with a secret.</summary>
    public string Username { get; init; } = string.Empty;

    /// <summary>A fixed password for the service (with <see cref="Username"/>); empty when none or with a secret.</summary>
    public string Password { get; init; } = string.Empty;

    /// <summary>
    /// The secret shared with the TURN server for the TURN REST API (coturn <c>use-auth-secret</c> with
    /// <c>static-auth-secret</c>): each user gets a user name and password that expire after
    /// <see cref="ExternalServicesOptions.CredentialLifetime"/>. Empty: no ephemeral credentials.
    /// </summary>
    public string Secret { get; init; } = string.Empty;

    /// <summary>Whether clients need credentials for the service (XEP-0215 <c>restricted</c>): it has a secret or a password.</summary>
    public bool IsRestricted => Secret.Length > 0 || Password.Length > 0;

    /// <summary>The transport announced: <see cref="Transport"/>, or the type's default when it is empty.</summary>
    public string EffectiveTransport => Transport.Length > 0
        ? Transport.ToLowerInvariant()
        : Type.ToLowerInvariant() is "stuns" or "turns" ? "tcp" : "udp";

    /// <summary>Checks the entry; yields each problem with its key relative to the entry (for example <c>Port</c>).</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!Types.Contains(Type.ToLowerInvariant()))
        {
            yield return (nameof(Type), $"is '{Type}'; it must be one of {string.Join(", ", Types)}");
        }

        if (string.IsNullOrWhiteSpace(Host) || Host.Any(char.IsWhiteSpace) || Host.Contains('/', StringComparison.Ordinal))
        {
            yield return (nameof(Host), "must be a host name or IP address");
        }

        if (Port is < 1 or > 65535)
        {
            yield return (nameof(Port), "must be between 1 and 65535");
        }

        if (Transport.Length > 0 && !Transports.Contains(Transport.ToLowerInvariant()))
        {
            yield return (nameof(Transport), $"is '{Transport}'; it must be udp or tcp");
        }

        if (Secret.Length > 0 && (Username.Length > 0 || Password.Length > 0))
        {
            // The TURN REST API derives both from the secret; a fixed pair next to it would never be used.
            yield return (nameof(Secret), "cannot be set together with Username or Password; use either a secret or fixed credentials");
        }
        else if (Username.Length > 0 != Password.Length > 0)
        {
            yield return (Username.Length > 0 ? nameof(Password) : nameof(Username), "must be set together with " + (Username.Length > 0 ? nameof(Username) : nameof(Password)));
        }
    }
}
