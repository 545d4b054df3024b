namespace Rookery.Modules.Proxy65;

/// <summary>Settings of the <c>proxy65</c> module (configuration section <c>Modules:Proxy65</c>).</summary>
public sealed class Proxy65Options
{
    /// <summary>The placeholder in <see cref="Host"/> replaced by the host's domain (as ejabberd's <c>@HOST@</c>).</summary>
    public const string HostPlaceholder = "@HOST@";

    /// <summary>The <see cref="Access"/> value that lets only the accounts of the proxy's own host use it (the default).</summary>
    public const string HostAccess = "host";

    /// <summary>The <see cref="Access"/> value that lets the accounts of every host this server serves use it.</summary>
    public const string LocalAccess = "local";

    /// <summary>The <see cref="Access"/> value that lets anyone use it, users of other servers too (ejabberd's <c>access: all</c>).</summary>
    public const string AllAccess = "all";

    /// <summary>
    /// The label put in front of each host's domain to name its proxy: <c>proxy</c> serves <c>proxy.example.com</c> for
    /// <c>example.com</c>. Default <c>proxy</c>, as ejabberd.
    /// </summary>
    public string Subdomain { get; init; } = "proxy";

    /// <summary>
    /// The host name or IP address clients are told to connect to (the <c>host</c> of the streamhost, XEP-0065 §4). Empty
    /// (the default) means: <c>Listeners:Proxy65:Address</c> when it is a single address, else
    /// <c>Cluster:AdvertisedAddress</c> on a cluster, else the XMPP host's own domain name. <c>@HOST@</c> is replaced by
    /// the host's domain. Behind NAT, set the public address here.
    /// </summary>
    public string Host { get; init; } = "";

    /// <summary>
    /// Seconds a SOCKS5 connection may take from connecting to being activated (handshake, waiting for its peer and for
    /// the requester's activation); it is closed after that. Default 30; 1 to 3600.
    /// </summary>
    public int ActivationTimeoutSeconds { get; init; } = 30;

    /// <summary>
    /// Who may use the proxy: <c>host</c> (the default: the accounts of the proxy's host, as Prosody's default),
    /// <c>local</c> (the accounts of every host of this server) or <c>all</c> (anyone, users of other servers too, as
    /// ejabberd's default <c>access: all</c>). Others get <c>forbidden</c> for the address query and the activation.
    /// </summary>
    public string Access { get; init; } = HostAccess;

    /// <summary>The time a connection gets to be activated.</summary>
    public TimeSpan ActivationTimeout => TimeSpan.FromSeconds(ActivationTimeoutSeconds);

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Proxy65</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (string.IsNullOrWhiteSpace(Subdomain) || Subdomain.Contains('@', StringComparison.Ordinal) || Subdomain.Contains('/', StringComparison.Ordinal))
        {
            yield return (nameof(Subdomain), "must be a domain label such as 'proxy'");
        }

        if (Host.Length > 0 && Uri.CheckHostName(Host.Replace(HostPlaceholder, "example.com", StringComparison.Ordinal)) == UriHostNameType.Unknown)
        {
            yield return (nameof(Host), $"'{Host}' is not a host name or IP address");
        }

        if (ActivationTimeoutSeconds is < 1 or > 3600)
        {
            yield return (nameof(ActivationTimeoutSeconds), "must be between 1 and 3600");
        }

        if (Access is not (HostAccess or LocalAccess or AllAccess))
        {
            yield return (nameof(Access), $"'{Access}' is not 'host', 'local' or 'all'");
        }
    }

    /// <summary>The proxy's domain for a host: <see cref="Subdomain"/>.host.</summary>
    public string ServiceFor(string host) => string.Concat(Subdomain, ".", host);
}
