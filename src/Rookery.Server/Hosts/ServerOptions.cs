namespace Rookery.Server.Hosts;

/// <summary>The server's settings (configuration section <c>Rookery</c>); every key is documented in docs/configuration.md.</summary>
public sealed class ServerOptions
{
    /// <summary>The virtual hosts served, keyed by domain. Default: one host, <c>localhost</c>.</summary>
    public Dictionary<string, HostOptions> Hosts { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Bare JIDs with administrative rights on every host.</summary>
    public List<string> Admins { get; init; } = [];

    /// <summary>Limits applied to every incoming stream.</summary>
    public StreamLimitOptions Limits { get; init; } = new();

    /// <summary>Authentication settings.</summary>
    public AuthOptions Auth { get; init; } = new();

    /// <summary>Offline message storage (XEP-0160).</summary>
    public OfflineOptions Offline { get; init; } = new();

    /// <summary>Stream management (XEP-0198).</summary>
    public StreamManagementOptions StreamManagement { get; init; } = new();

    /// <summary>In-band registration (XEP-0077) limits; registration itself is enabled per host.</summary>
    public RegistrationOptions Registration { get; init; } = new();

    /// <summary>The idle-client watchdog (XEP-0199 pings).</summary>
    public WatchdogOptions Watchdog { get; init; } = new();

    /// <summary>Web clients over BOSH (XEP-0124/XEP-0206): how long requests are held and sessions kept.</summary>
    public BoshOptions Bosh { get; init; } = new();

    /// <summary>Modules turned off on every host, by name (for example <c>version</c>).</summary>
    public List<string> DisabledModules { get; init; } = [];
}

/// <summary>Settings of one virtual host.</summary>
public sealed class HostOptions
{
    /// <summary>Require STARTTLS (or direct TLS) before authentication on this host.</summary>
    public bool TlsRequired { get; init; }

    /// <summary>
    /// PEM certificate (chain) for this host. When empty, a self-signed certificate is generated on first start and
    /// kept in the data folder.
    /// </summary>
    public string? CertificatePath { get; init; }

    /// <summary>PEM private key matching <see cref="CertificatePath"/> (may be the same file).</summary>
    public string? KeyPath { get; init; }

    /// <summary>Allow in-band registration (XEP-0077) on this host. Off by default.</summary>
    public bool AllowRegistration { get; init; }

    /// <summary>Bare JIDs with administrative rights on this host, in addition to the global list.</summary>
    public List<string> Admins { get; init; } = [];

    /// <summary>
    /// Most accounts this host may have; in-band registration stops there, and so do ANONYMOUS logins (their temporary
    /// accounts count while they last). 0 means no limit.
    /// </summary>
    public int MaxUsers { get; init; }

    /// <summary>
    /// Offer SASL ANONYMOUS (RFC 4505) on this host: a login without credentials gets a temporary account with a random
    /// name, deleted with everything stored for it when its session ends. Off by default.
    /// </summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>
    /// Offer SASL PLAIN on connections without TLS too (like Prosody's <c>allow_unencrypted_plain_auth</c>): the password
    /// then crosses the network in the clear, so this is only for loopback, benchmarks and trusted networks. Off by default.
    /// </summary>
    public bool AllowUnencryptedPlain { get; init; }

    /// <summary>Modules turned off on this host, by name, in addition to the global list.</summary>
    public List<string> DisabledModules { get; init; } = [];
}

/// <summary>Limits that protect the server from oversized or hostile input.</summary>
public sealed class StreamLimitOptions
{
    /// <summary>Largest accepted stanza in bytes; larger ones end the stream with policy-violation. Default 256 KiB.</summary>
    public int MaxStanzaBytes { get; init; } = 256 * 1024;

    /// <summary>Deepest accepted element nesting inside a stanza. Default 64.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Most attributes accepted on one element. Default 64.</summary>
    public int MaxAttributes { get; init; } = 64;

    /// <summary>Seconds a new connection may take to authenticate before it is closed. Default 60.</summary>
    public int AuthTimeoutSeconds { get; init; } = 60;

    /// <summary>Stanzas that may wait in one client's outgoing queue before the stream is closed as too slow. Default 10000.</summary>
    public int MaxOutboundQueue { get; init; } = 10_000;

    /// <summary>
    /// Stanzas that may wait in the outgoing queue of one server-to-server or external component stream before the stream
    /// is closed with <c>resource-constraint</c> and what waits is routed again (another instance or stream, else a
    /// bounce). Separate from <see cref="MaxOutboundQueue"/> because such a link carries the traffic of many users at
    /// once: an operator sizes it apart from one client's queue, and lowering the client limit does not cut federation.
    /// Default 10000.
    /// </summary>
    public int MaxLinkOutboundQueue { get; init; } = 10_000;
}

/// <summary>Authentication settings.</summary>
public sealed class AuthOptions
{
    /// <summary>PBKDF2 iterations for SCRAM keys of new or changed passwords (RFC 7677 asks for at least 4096).</summary>
    public int ScramIterations { get; init; } = 4096;

    /// <summary>Delay before a failed authentication is answered, in milliseconds. Default 1000.</summary>
    public int FailureDelayMilliseconds { get; init; } = 1000;

    /// <summary>Upper bound of the delay for an address that keeps failing, in milliseconds. Default 15000.</summary>
    public int MaxFailureDelayMilliseconds { get; init; } = 15_000;

    /// <summary>Failed attempts allowed on one stream before it is closed. Default 3.</summary>
    public int MaxAttemptsPerStream { get; init; } = 3;

    /// <summary>
    /// Days a FAST token (XEP-0484) stays valid; a token used in the second half of its life is replaced by a new one.
    /// Default 21, as in Prosody.
    /// </summary>
    public int FastTokenLifetimeDays { get; init; } = 21;

}

/// <summary>Limits on in-band registration (XEP-0077), which each host turns on with <c>AllowRegistration</c>.</summary>
public sealed class RegistrationOptions
{
    /// <summary>Seconds between two registrations from one address (Prosody's min_seconds_between_registrations). Default 300.</summary>
    public int MinSecondsBetweenRegistrations { get; init; } = 300;

    /// <summary>
    /// Addresses or networks (CIDR) that may register; empty means any address. A closed list is the CAPTCHA-free way
    /// to open registration to a known network only.
    /// </summary>
    public List<string> AllowedAddresses { get; init; } = [];
}

/// <summary>
/// The watchdog that pings idle clients (XEP-0199 §4.2) and closes streams whose peer stopped answering, which TCP
/// alone may not notice for hours.
/// </summary>
public sealed class WatchdogOptions
{
    /// <summary>Seconds without any data from a bound client before it is pinged; 0 turns the watchdog off. Default 300.</summary>
    public int IdleSeconds { get; init; } = 300;

    /// <summary>Seconds a pinged client has to show any sign of life before its stream is closed. Default 60.</summary>
    public int TimeoutSeconds { get; init; } = 60;
}

/// <summary>BOSH (XEP-0124) session limits, the server's side of the 'wait' and 'inactivity' attributes.</summary>
public sealed class BoshOptions
{
    /// <summary>The longest a request is held waiting for data (the client asks for its 'wait', capped here). Default 60.</summary>
    public int MaxWaitSeconds { get; init; } = 60;

    /// <summary>
    /// Seconds a session may go without a request held before it is ended as a dropped connection (XEP-0124 §7
    /// 'inactivity'). Default 60.
    /// </summary>
    public int MaxInactivitySeconds { get; init; } = 60;
}

/// <summary>Stream management (XEP-0198) settings.</summary>
public sealed class StreamManagementOptions
{
    /// <summary>Seconds a session whose connection dropped waits for its client to resume it. Default 300.</summary>
    public int ResumeTimeoutSeconds { get; init; } = 300;

    /// <summary>Unacknowledged stanzas kept per session before the stream is closed as stuck. Default 10000.</summary>
    public int MaxUnacked { get; init; } = 10_000;
}

/// <summary>Offline message storage settings.</summary>
public sealed class OfflineOptions
{
    /// <summary>Messages kept per user; beyond it, new ones bounce with service-unavailable. Default 1000.</summary>
    public int MaxMessagesPerUser { get; init; } = 1000;
}
