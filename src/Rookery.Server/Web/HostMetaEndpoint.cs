using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Rookery.Server.Web;

/// <summary>
/// XEP-0156 discovery over HTTP: <c>/.well-known/host-meta</c> (XRD, RFC 6415) and <c>/.well-known/host-meta.json</c>
/// name the WebSocket and BOSH endpoints under the host and scheme the client used to ask.
/// </summary>
public static class HostMetaEndpoint
{
    /// <summary>The link relation of an XMPP over WebSocket endpoint (XEP-0156 §3).</summary>
    public const string WebSocketRel = "urn:xmpp:alt-connections:websocket";

    /// <summary>The link relation of a BOSH endpoint (XEP-0156 §3).</summary>
    public const string BoshRel = "urn:xmpp:alt-connections:xbosh";

    /// <summary>Answers <c>/.well-known/host-meta</c> with an XRD document.</summary>
    public static Task XrdAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var xml = new StringBuilder("<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n");
        foreach (var (rel, href) in Links(http))
        {
            xml.Append("  <Link rel='").Append(rel).Append("' href='").Append(System.Security.SecurityElement.Escape(href)).Append("'/>\n");
        }

        xml.Append("</XRD>\n");
        return WriteAsync(http, "application/xrd+xml; charset=utf-8", xml.ToString());
    }

    /// <summary>Answers <c>/.well-known/host-meta.json</c> with the JSON form (RFC 6415 Appendix A).</summary>
    public static Task JsonAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("links");
            foreach (var (rel, href) in Links(http))
            {
                json.WriteStartObject();
                json.WriteString("rel", rel);
                json.WriteString("href", href);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return WriteAsync(http, "application/json", Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static IEnumerable<(string Rel, string Href)> Links(HttpContext http)
    {
        var request = http.Request;
        yield return (WebSocketRel, $"{(request.IsHttps ? "wss" : "ws")}://{request.Host}{request.PathBase}{WebSocketEndpoint.Path}");
        yield return (BoshRel, $"{request.Scheme}://{request.Host}{request.PathBase}{BoshEndpoint.Path}");
    }

    private static Task WriteAsync(HttpContext http, string contentType, string body)
    {
        // XEP-0156 §3: web clients on other origins fetch these documents, so they are served with CORS.
        http.Response.Headers.AccessControlAllowOrigin = "*";
        http.Response.ContentType = contentType;
        return http.Response.WriteAsync(body, http.RequestAborted);
    }
}
