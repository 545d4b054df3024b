using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Rookery.Modules.HttpUpload;

/// <summary>
/// The HTTP side of XEP-0363 on the node's web listener: <c>PUT /upload/{id}/{name}</c> stores the file of a slot whose
/// signature and expiry check out, <c>GET</c>/<c>HEAD</c> serve it, <c>OPTIONS</c> answers CORS preflights of web
/// clients. Checking a PUT needs only the signing key, so any node of a cluster takes any slot's upload; the files live
/// in <see cref="UploadFolder"/>, which a cluster must share.
/// </summary>
public sealed partial class HttpUploadEndpoint(UploadFolder folder, UploadSignatures signatures, TimeProvider time, ILogger<HttpUploadEndpoint> logger)
{
    /// <summary>The route of an uploaded file.</summary>
    public const string Route = "/upload/{id}/{name}";

    private const string DefaultContentType = "application/octet-stream";

    /// <summary>
    /// Dispatches on the method. One endpoint for all methods, so that a CORS preflight (an OPTIONS that names PUT in
    /// <c>Access-Control-Request-Method</c>) reaches <see cref="OptionsAsync"/> instead of the routing's method matching.
    /// </summary>
    public Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var method = http.Request.Method;
        if (HttpMethods.IsPut(method))
        {
            return PutAsync(http);
        }

        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            return GetAsync(http);
        }

        if (HttpMethods.IsOptions(method))
        {
            return OptionsAsync(http);
        }

        http.Response.Headers.Allow = "GET, HEAD, PUT, OPTIONS";
        http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        return Task.CompletedTask;
    }

    /// <summary>Stores the body of a PUT to a signed slot URL: 201 when stored, else 4xx with nothing left behind.</summary>
    public async Task PutAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var request = http.Request;
        var response = http.Response;
        AllowCrossOrigin(response);
        var id = request.RouteValues["id"] as string;
        var name = request.RouteValues["name"] as string;
        var query = request.Query;
        if (!UploadSignatures.IsValidId(id) || name is null ||
            !long.TryParse(query["size"], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ||
            !long.TryParse(query["expires"], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) ||
            !signatures.Verify(id!, name, size, expires, query["sig"]))
        {
            await RejectAsync(http, StatusCodes.Status403Forbidden, "The upload URL is not a valid slot URL");
            return;
        }

        if (time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            await RejectAsync(http, StatusCodes.Status403Forbidden, "The upload slot has expired");
            return;
        }

        // XEP-0363 §5: the body must be exactly the size the slot was requested for.
        if (request.ContentLength is not { } length)
        {
            await RejectAsync(http, StatusCodes.Status411LengthRequired, "Content-Length is required");
            return;
        }

        if (length != size)
        {
            await RejectAsync(http, length > size ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, $"Content-Length must be {size}, the size of the slot");
            return;
        }

        if (folder.Exists(id!))
        {
            await RejectAsync(http, StatusCodes.Status409Conflict, "This slot has been used already");
            return;
        }

        // The size was approved when the slot was handed out; Kestrel's own request body limit (30 MB) must not apply.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = size;
        }

        var contentType = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.ToString() : DefaultContentType;
        UploadFolder.StoreResult result;
        try
        {
            result = await folder.StoreAsync(id!, name, contentType, size, request.Body, http.RequestAborted);
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException or OperationCanceledException)
        {
            // The client went away or sent less than it announced: the partial file is already gone.
            Log.UploadAborted(logger, id!, e.Message);
            if (!response.HasStarted && !http.RequestAborted.IsCancellationRequested)
            {
                await RejectAsync(http, StatusCodes.Status400BadRequest, "The request body ended before Content-Length bytes");
            }

            return;
        }

        switch (result)
        {
            case UploadFolder.StoreResult.Stored:
                Log.Stored(logger, id!, size, contentType);
                response.StatusCode = StatusCodes.Status201Created;
                return;
            case UploadFolder.StoreResult.Exists:
                await RejectAsync(http, StatusCodes.Status409Conflict, "This slot has been used already");
                return;
            default:
                await RejectAsync(http, StatusCodes.Status400BadRequest, $"The request body was not {size} bytes long");
                return;
        }
    }

    /// <summary>Serves an uploaded file (GET) or its headers (HEAD); 404 when there is none under that id and name.</summary>
    public async Task GetAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var response = http.Response;
        AllowCrossOrigin(response);
        var id = http.Request.RouteValues["id"] as string;
        var name = http.Request.RouteValues["name"] as string;
        if (!UploadSignatures.IsValidId(id) || name is null || folder.Find(id!) is not { } file || file.Name != name)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        // As Prosody's mod_http_file_share: the browser must neither guess another type nor run anything it gets.
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'";
        await Results.File(file.Path, file.ContentType, enableRangeProcessing: true).ExecuteAsync(http);
    }

    /// <summary>Answers a CORS preflight (web clients PUT from another origin with a Content-Type header).</summary>
    public static Task OptionsAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var response = http.Response;
        AllowCrossOrigin(response);
        response.Headers.AccessControlAllowMethods = "GET, HEAD, PUT, OPTIONS";
        response.Headers.AccessControlAllowHeaders = "Content-Type";
        response.Headers.AccessControlMaxAge = "7200";
        response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static void AllowCrossOrigin(HttpResponse response) => response.Headers.AccessControlAllowOrigin = "*";

    private Task RejectAsync(HttpContext http, int status, string reason)
    {
        Log.Rejected(logger, http.Request.Method, http.Request.Path, status, reason);
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(reason + "\n", http.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4701, Level = LogLevel.Information, Message = "Upload {Id} stored: {Size} bytes of {ContentType}")]
        public static partial void Stored(ILogger logger, string id, long size, string contentType);

        [LoggerMessage(EventId = 4702, Level = LogLevel.Debug, Message = "{Method} {Path} refused with {Status}: {Reason}")]
        public static partial void Rejected(ILogger logger, string method, PathString path, int status, string reason);

        [LoggerMessage(EventId = 4703, Level = LogLevel.Debug, Message = "Upload {Id} aborted, nothing kept: {Reason}")]
        public static partial void UploadAborted(ILogger logger, string id, string reason);
    }
}
