using Rookery.Modules.Blocking;
using Rookery.Modules.Disco;
using Rookery.Modules.ExternalServices;
using Rookery.Modules.HttpUpload;
using Rookery.Modules.Mam;
using Rookery.Modules.Muc;
using Rookery.Modules.Pep;
using Rookery.Modules.PrivateStorage;
using Rookery.Modules.Proxy65;
using Rookery.Modules.Pubsub;
using Rookery.Modules.Push;
using Rookery.Modules.VCard;
using Rookery.Modules.Version;

namespace Rookery.Hosting;

/// <summary>
/// Settings of the feature modules (configuration section <c>Modules</c>), one subsection per configurable module, named
/// like the module. Turning a module off is done with <c>DisabledModules</c>, not here.
/// </summary>
public sealed class ModulesOptions
{
    /// <summary>Service discovery (<c>disco</c>): contact addresses.</summary>
    public DiscoOptions Disco { get; init; } = new();

    /// <summary>Software version (<c>version</c>): whether to show the operating system.</summary>
    public VersionOptions Version { get; init; } = new();

    /// <summary>vCards (<c>vcard</c>): size limit.</summary>
    public VCardOptions VCard { get; init; } = new();

    /// <summary>Private XML storage (<c>private</c>): size and count limits.</summary>
    public PrivateStorageOptions Private { get; init; } = new();

    /// <summary>Message archives (<c>mam</c>): page sizes, retention and the default archiving policy.</summary>
    public MamOptions Mam { get; init; } = new();

    /// <summary>Blocking command (<c>blocking</c>): block list size limit.</summary>
    public BlockingOptions Blocking { get; init; } = new();

    /// <summary>Personal eventing (<c>pep</c>): item, payload and node limits.</summary>
    public PepOptions Pep { get; init; } = new();

    /// <summary>Push notifications (<c>push</c>): what a notification tells the app server, registrations per account.</summary>
    public PushOptions Push { get; init; } = new();

    /// <summary>Multi-user chat (<c>muc</c>): service names, room creation, history and occupant limits.</summary>
    public MucOptions Muc { get; init; } = new();

    /// <summary>HTTP file upload (<c>http_upload</c>): service names, size limit, folder, public URL, slot lifetime.</summary>
    public HttpUploadOptions HttpUpload { get; init; } = new();

    /// <summary>External service discovery (<c>extdisco</c>): the STUN and TURN servers, credential lifetime.</summary>
    public ExternalServicesOptions ExternalServices { get; init; } = new();

    /// <summary>SOCKS5 bytestreams proxy (<c>proxy65</c>): service name, advertised host, activation timeout, access.</summary>
    public Proxy65Options Proxy65 { get; init; } = new();
    /// <summary>Publish-subscribe service (<c>pubsub</c>): service name, who creates nodes, item, payload and node limits.</summary>
    public PubsubOptions Pubsub { get; init; } = new();

    /// <summary>Checks every module's settings and throws <see cref="ConfigurationException"/> naming the first bad key.</summary>
    public void Validate()
    {
        Throw(nameof(Disco), Disco.Validate());
        Throw(nameof(VCard), VCard.Validate());
        Throw(nameof(Private), Private.Validate());
        Throw(nameof(Mam), Mam.Validate());
        Throw(nameof(Blocking), Blocking.Validate());
        Throw(nameof(Pep), Pep.Validate());
        Throw(nameof(Push), Push.Validate());
        Throw(nameof(Muc), Muc.Validate());
        Throw(nameof(HttpUpload), HttpUpload.Validate());
        Throw(nameof(ExternalServices), ExternalServices.Validate());
        Throw(nameof(Proxy65), Proxy65.Validate());
        Throw(nameof(Pubsub), Pubsub.Validate());
    }

    private static void Throw(string section, IEnumerable<(string Key, string Problem)> problems)
    {
        foreach (var (key, problem) in problems)
        {
            throw new ConfigurationException($"Configuration key 'Modules:{section}:{key}' {problem}");
        }
    }
}
