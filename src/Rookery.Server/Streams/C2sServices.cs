using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Im;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Transport;

namespace Rookery.Server.Streams;

/// <summary>The collaborators every client stream needs, resolved once and shared by all connections.</summary>
public sealed class C2sServices(
    HostRegistry hosts,
    Router router,
    SessionTable sessions,
    PresenceManager presence,
    ModuleRegistry modules,
    AccountService accounts,
    LoginThrottle throttle,
    CertificateStore certificates,
    ClientConnections connections,
    SessionLifecycle lifecycle,
    RegistrationService registration,
    AnonymousAccounts anonymous,
    IOptions<ServerOptions> options,
    TimeProvider time,
    ILoggerFactory loggers,
    LoginGate gate,
    Rookery.Storage.IFastTokenStore fastTokens)
{
    /// <summary>The served hosts.</summary>
    public HostRegistry Hosts => hosts;
    /// <summary>The stanza router.</summary>
    public Router Router => router;
    /// <summary>The session table.</summary>
    public SessionTable Sessions => sessions;
    /// <summary>Presence handling.</summary>
    public PresenceManager Presence => presence;
    /// <summary>Modules (stream features, iq handlers).</summary>
    public ModuleRegistry Modules => modules;
    /// <summary>Accounts and credentials.</summary>
    public AccountService Accounts => accounts;
    /// <summary>Failed-login slow-down.</summary>
    public LoginThrottle Throttle => throttle;
    /// <summary>TLS certificates.</summary>
    public CertificateStore Certificates => certificates;
    /// <summary>Binding, ending and resuming sessions.</summary>
    public SessionLifecycle Lifecycle => lifecycle;
    /// <summary>In-band registration policy.</summary>
    public RegistrationService Registration => registration;
    /// <summary>Temporary accounts for SASL ANONYMOUS.</summary>
    public AnonymousAccounts Anonymous => anonymous;
    /// <summary>Open client connections.</summary>
    public ClientConnections Connections => connections;
    /// <summary>Server options.</summary>
    public ServerOptions Options => options.Value;
    /// <summary>Whether new client streams are accepted (cluster drain, lost database).</summary>
    public LoginGate Gate => gate;
    /// <summary>FAST authentication tokens (XEP-0484).</summary>
    public Rookery.Storage.IFastTokenStore FastTokens => fastTokens;
    /// <summary>The clock.</summary>
    public TimeProvider Time => time;
    /// <summary>Parsed 'to' addresses shared by the streams (routing a message prepares no JID a stream used recently).</summary>
    internal JidCache Jids { get; } = new();
    /// <summary>The logger for streams.</summary>
    public ILogger Logger { get; } = loggers.CreateLogger("Rookery.Server.Streams.C2sStream");
}
