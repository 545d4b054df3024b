using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Routing;

namespace Rookery.Modules.HttpUpload;

/// <summary>
/// Runs an upload service for every host where the <c>http_upload</c> module is on, when the node has an HTTP listener:
/// creates the upload folder, builds each service on <c>upload.&lt;host&gt;</c> (or the configured name) and registers
/// its domain in the <see cref="RouteTable"/>; unregisters them on stop.
/// </summary>
public sealed partial class HttpUploadServiceHost(
    IOptions<HttpUploadOptions> options,
    HttpUploadSite site,
    UploadSignatures signatures,
    HostRegistry hosts,
    ModuleRegistry modules,
    RouteTable routes,
    Router router,
    TimeProvider time,
    ILoggerFactory loggers) : IHostedService
{
    private readonly ServiceDomains<HttpUploadService> _domains = new(routes);

    /// <summary>The services started, by service domain.</summary>
    public IReadOnlyDictionary<string, HttpUploadService> Services => _domains.Services;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!site.IsServed || !hosts.Domains.Any(h => modules.IsEnabled(HttpUploadModule.ModuleName, h)))
        {
            return Task.CompletedTask;
        }

        try
        {
            Directory.CreateDirectory(site.Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Configuration key 'Modules:HttpUpload:Folder': the upload folder '{site.Folder}' cannot be created: {e.Message}", e);
        }

        var o = options.Value;
        var logger = loggers.CreateLogger<HttpUploadService>();
        var hostLogger = loggers.CreateLogger<HttpUploadServiceHost>();
        foreach (var host in hosts.Domains)
        {
            if (!modules.IsEnabled(HttpUploadModule.ModuleName, host))
            {
                continue;
            }

            var domain = Jid.Create(null, o.ServiceFor(host));
            var service = new HttpUploadService(domain, host, o, site, signatures, router, time, logger);
            _domains.Register(service, "Modules:HttpUpload", "upload service", host);
            var baseUrl = site.BaseUrlFor(host);
            Log.ServiceStarted(hostLogger, domain, host, baseUrl, site.Folder);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _domains.UnregisterAll();
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4710, Level = LogLevel.Information, Message = "Upload service {Service} of {Host} started: files at {BaseUrl}/upload/, kept in {Folder}")]
        public static partial void ServiceStarted(ILogger logger, Jid service, string host, string baseUrl, string folder);
    }
}
