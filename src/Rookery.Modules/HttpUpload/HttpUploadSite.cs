namespace Rookery.Modules.HttpUpload;

/// <summary>
/// Where this node keeps uploaded files and under which URL clients reach its HTTP listener. Built by the composition
/// root, which knows the listeners: without an HTTP or HTTPS listener there is nowhere to upload to, and the
/// <c>http_upload</c> module serves nothing (<see cref="IsServed"/> is false).
/// </summary>
public sealed class HttpUploadSite
{
    private readonly string _configuredBaseUrl;
    private readonly Func<string, string>? _listenerBaseUrl;

    /// <summary>Creates the site of a node.</summary>
    /// <param name="options">The module's settings (<see cref="HttpUploadOptions.BaseUrl"/> wins over the listener).</param>
    /// <param name="folder">The full path of the upload folder.</param>
    /// <param name="listenerBaseUrl">
    /// The URL of the node's HTTP listener for a host (<c>http://host:port</c>), read when a slot is handed out so that a
    /// port picked at bind time (0) is known; null when the node has no HTTP listener.
    /// </param>
    public HttpUploadSite(HttpUploadOptions options, string folder, Func<string, string>? listenerBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        _configuredBaseUrl = options.BaseUrl;
        _listenerBaseUrl = listenerBaseUrl;
        Folder = folder;
    }

    /// <summary>A site that serves nothing: the node has no HTTP listener (also the default outside a full node).</summary>
    public static HttpUploadSite None { get; } = new(new HttpUploadOptions(), Path.Combine(Path.GetTempPath(), "rookery-no-upload"), null);

    /// <summary>Whether the node takes uploads at all: it has an HTTP or HTTPS listener.</summary>
    public bool IsServed => _listenerBaseUrl is not null;

    /// <summary>The full path of the folder uploaded files are kept in.</summary>
    public string Folder { get; }

    /// <summary>The base of a host's slot URLs, without a trailing slash: the configured base URL, else the listener's.</summary>
    public string BaseUrlFor(string host)
    {
        if (_configuredBaseUrl.Length > 0)
        {
            return _configuredBaseUrl.Replace(HttpUploadOptions.HostPlaceholder, host, StringComparison.Ordinal).TrimEnd('/');
        }

        return (_listenerBaseUrl ?? throw new InvalidOperationException("The node has no HTTP listener to upload to"))(host).TrimEnd('/');
    }
}
