using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Modules.HttpUpload;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Transport;
using Rookery.Server.Web;

namespace Rookery.Hosting;

/// <summary>
/// Maps the web client endpoints (RFC 7395 WebSocket, XEP-0124/0206 BOSH, XEP-0156 host-meta) and the files of XEP-0363
/// HTTP File Upload on the node's HTTP listeners.
/// </summary>
internal static class WebEndpoints
{
    /// <summary>Adds the WebSocket middleware and the routes.</summary>
    public static void Map(WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(60) });
        var endpoint = app.Services.GetRequiredService<WebSocketEndpoint>();
        app.Map(WebSocketEndpoint.Path, endpoint.HandleAsync);
        app.Map("/ws", endpoint.HandleAsync); // ejabberd's path
        var bosh = app.Services.GetRequiredService<BoshEndpoint>();
        app.Map(BoshEndpoint.Path, bosh.HandleAsync);
        app.Map("/bosh", bosh.HandleAsync); // ejabberd's path
        app.MapGet("/.well-known/host-meta", HostMetaEndpoint.XrdAsync);
        app.MapGet("/.well-known/host-meta.json", HostMetaEndpoint.JsonAsync);
        var modules = app.Services.GetRequiredService<ModuleRegistry>();
        if (app.Services.GetRequiredService<HostRegistry>().Domains.Any(h => modules.IsEnabled(HttpUploadModule.ModuleName, h)))
        {
            // One endpoint for PUT, GET, HEAD and the CORS preflight (OPTIONS); see HttpUploadEndpoint.HandleAsync.
            app.Map(HttpUploadEndpoint.Route, app.Services.GetRequiredService<HttpUploadEndpoint>().HandleAsync);
        }
    }

    /// <summary>HTTPS with the certificate of the host the client names (SNI), from the store the XMPP listeners use.</summary>
    public static void UseHostCertificates(ListenOptions listen)
    {
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context =>
            {
                var certificates = listen.ApplicationServices.GetRequiredService<CertificateStore>();
                var identity = certificates.GetIdentity(context.ClientHelloInfo.ServerName);
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = identity.Context,
                    ClientCertificateRequired = false,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                });
            },
        });
    }
}
