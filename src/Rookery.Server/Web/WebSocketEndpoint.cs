using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Xml;
using Rookery.Server.Streams;

namespace Rookery.Server.Web;

/// <summary>
/// The HTTP endpoint of XMPP over WebSocket (RFC 7395): accepts a WebSocket with the <c>xmpp</c> subprotocol and runs an
/// ordinary <see cref="C2sStream"/> over it through <see cref="WebSocketFraming"/>, so every client feature works as over TCP.
/// </summary>
public sealed class WebSocketEndpoint(C2sServices services, ILogger<WebSocketEndpoint> logger)
{
    /// <summary>The WebSocket subprotocol of XMPP (RFC 7395 §3.1).</summary>
    public const string SubProtocol = "xmpp";

    /// <summary>The path web clients connect to (Prosody's; ejabberd's <c>/ws</c> is an alias).</summary>
    public const string Path = "/xmpp-websocket";

    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>Serves one HTTP request to the endpoint: a refusal, or a whole XMPP session over a WebSocket.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(http, StatusCodes.Status426UpgradeRequired, "This is an XMPP over WebSocket endpoint (RFC 7395): open a WebSocket with the subprotocol 'xmpp'").ConfigureAwait(false);
            return;
        }

        // RFC 7395 §3.2: the handshake must offer the 'xmpp' subprotocol; without it there is no XMPP to speak.
        if (!http.WebSockets.WebSocketRequestedProtocols.Contains(SubProtocol, StringComparer.Ordinal))
        {
            WebLog.HandshakeRefused(logger, http.Connection.RemoteIpAddress, "no 'xmpp' subprotocol");
            await RefuseAsync(http, StatusCodes.Status400BadRequest, "The WebSocket handshake must offer the subprotocol 'xmpp' (RFC 7395 §3.2)").ConfigureAwait(false);
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = SubProtocol }).ConfigureAwait(false);
        var scheme = http.Request.IsHttps ? "wss" : "ws";
        var port = http.Connection.LocalPort;
        var redirect = $"{scheme}://{{0}}:{port}{http.Request.PathBase}{http.Request.Path}";
        var framing = new WebSocketFraming(socket, http.Request.IsHttps, redirect);
        var input = new Pipe(new PipeOptions(useSynchronizationContext: false));
        await using var connection = new WebConnection(
            "ws-" + http.Connection.Id,
            new WebConnection.Pipes(input.Reader, framing.Output),
            http.Connection.RemoteIpAddress is { } remote ? new System.Net.IPEndPoint(remote, http.Connection.RemotePort) : null,
            http.Connection.LocalIpAddress is { } local ? new System.Net.IPEndPoint(local, port) : null);
        connection.Features.Set<StreamFraming>(framing);
        WebLog.WebSocketOpened(logger, connection.ConnectionId, http.Connection.RemoteIpAddress);

        var stream = new C2sStream(connection, services, directTls: false);
        var limits = services.Options.Limits;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var receiving = framing.ReceiveAsync(
            stream,
            input.Writer,
            new XmlLimits { MaxStanzaBytes = limits.MaxStanzaBytes, MaxDepth = limits.MaxDepth, MaxAttributes = limits.MaxAttributes },
            stop.Token);
        await stream.RunAsync().ConfigureAwait(false);

        // The stream has ended and its <close/> is sent; RFC 7395 §3.6: the WebSocket closing handshake follows.
        try
        {
            if (socket.State is System.Net.WebSockets.WebSocketState.Open or System.Net.WebSockets.WebSocketState.CloseReceived)
            {
                using var grace = new CancellationTokenSource(CloseGrace);
                await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, grace.Token).ConfigureAwait(false);
            }

            // Wait (bounded) for the client's closing frame, which ends the receive loop.
            await receiving.WaitAsync(CloseGrace).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or System.Net.WebSockets.WebSocketException or IOException)
        {
            WebLog.CloseHandshakeIncomplete(logger, connection.ConnectionId, e);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            socket.Abort();
            await receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task RefuseAsync(HttpContext http, int status, string text)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(text + "\n", http.RequestAborted).ConfigureAwait(false);
    }
}
