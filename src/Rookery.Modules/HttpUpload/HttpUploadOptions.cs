namespace Rookery.Modules.HttpUpload;

/// <summary>Settings of the <c>http_upload</c> module (configuration section <c>Modules:HttpUpload</c>).</summary>
public sealed class HttpUploadOptions
{
    /// <summary>The placeholder in <see cref="BaseUrl"/> replaced by the host's domain (as ejabberd's <c>@HOST@</c>).</summary>
    public const string HostPlaceholder = "@HOST@";

    /// <summary>The default <see cref="MaxFileSize"/>: 10 MiB, as Prosody's <c>http_file_share_size_limit</c>.</summary>
    public const long DefaultMaxFileSize = 10 * 1024 * 1024;

    /// <summary>
    /// The label put in front of each host's domain to name its upload service: <c>upload</c> serves
    /// <c>upload.example.com</c> for <c>example.com</c>. Default <c>upload</c>.
    /// </summary>
    public string Subdomain { get; init; } = "upload";

    /// <summary>
    /// Per-host service domains that replace the default name, keyed by host (<c>"example.com": "share.example.com"</c>).
    /// A host where the <c>http_upload</c> module is disabled has no service.
    /// </summary>
    public Dictionary<string, string> ServiceNames { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The largest file a client may upload, in bytes. Default 10 MiB (10485760); at least 1.</summary>
    public long MaxFileSize { get; init; } = DefaultMaxFileSize;

    /// <summary>
    /// The folder uploaded files are kept in; a relative path is under <c>DataDirectory</c>. Empty (the default) means
    /// <c>&lt;DataDirectory&gt;/upload</c>. On a cluster it must be storage every node shares (the same path on each).
    /// </summary>
    public string Folder { get; init; } = "";

    /// <summary>
    /// The public URL under which clients reach this node's HTTP listener, without the <c>/upload</c> path: slot URLs are
    /// <c>&lt;BaseUrl&gt;/upload/&lt;id&gt;/&lt;file name&gt;</c>. <c>@HOST@</c> is replaced by the host's domain.
    /// Empty (the default) means <c>http://&lt;host&gt;:&lt;Listeners:Http:Port&gt;</c>, or
    /// <c>https://&lt;host&gt;:&lt;Listeners:Https:Port&gt;</c> when only the HTTPS listener is on.
    /// </summary>
    public string BaseUrl { get; init; } = "";

    /// <summary>Seconds a slot's PUT URL stays valid after it was handed out. Default 300 (5 minutes); 10 to 86400.</summary>
    public int SlotLifetimeSeconds { get; init; } = 300;

    /// <summary>
    /// Days an uploaded file is kept before it is deleted, counted from the end of its upload; 0 (the default) keeps
    /// files until they are removed by hand, as ejabberd does unless <c>mod_http_upload_quota</c>'s <c>max_days</c> is
    /// set (Prosody deletes after a week). 0 to 36500.
    /// </summary>
    public int ExpireAfterDays { get; init; }

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:HttpUpload</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!IsDomainLabel(Subdomain))
        {
            yield return (nameof(Subdomain), "must be a domain label such as 'upload'");
        }

        foreach (var (host, service) in ServiceNames)
        {
            if (string.IsNullOrWhiteSpace(service) || service.Contains('@', StringComparison.Ordinal) || service.Contains('/', StringComparison.Ordinal))
            {
                yield return ($"{nameof(ServiceNames)}:{host}", $"'{service}' is not a domain name");
            }
        }

        if (MaxFileSize < 1)
        {
            yield return (nameof(MaxFileSize), "must be at least 1 (bytes)");
        }

        if (BaseUrl.Length > 0 && DescribeBaseUrlProblem(BaseUrl) is { } problem)
        {
            yield return (nameof(BaseUrl), problem);
        }

        if (SlotLifetimeSeconds is < 10 or > 86_400)
        {
            yield return (nameof(SlotLifetimeSeconds), "must be between 10 and 86400");
        }

        if (ExpireAfterDays is < 0 or > 36_500)
        {
            yield return (nameof(ExpireAfterDays), "must be between 0 (keep files) and 36500");
        }
    }

    /// <summary>The service domain of a host: its entry in <see cref="ServiceNames"/>, else <see cref="Subdomain"/>.host.</summary>
    public string ServiceFor(string host) =>
        ServiceNames.TryGetValue(host, out var name) ? name : string.Concat(Subdomain, ".", host);

    private static bool IsDomainLabel(string label) =>
        !string.IsNullOrWhiteSpace(label) && !label.Contains('@', StringComparison.Ordinal) && !label.Contains('/', StringComparison.Ordinal);

    private static string? DescribeBaseUrlProblem(string baseUrl)
    {
        var sample = baseUrl.Replace(HostPlaceholder, "example.com", StringComparison.Ordinal);
        if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return $"'{baseUrl}' is not an absolute http:// or https:// URL";
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || sample.EndsWith('?') || sample.Contains('#', StringComparison.Ordinal))
        {
            return $"'{baseUrl}' must not have a query or fragment (slot URLs add '/upload/<id>/<file name>' to it)";
        }

        return null;
    }
}
