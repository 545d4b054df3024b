using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Xml;
using Rookery.Server.Streams;

namespace Rookery.Server.Web;

/// <summary>
/// BOSH (XEP-0124) carrying XMPP (XEP-0206) at <c>/http-bind</c>: creates sessions, feeds each request's payload to the
/// session's <see cref="C2sStream"/> in 'rid' order, holds requests until there is output, and ends sessions that go
/// quiet for longer than 'inactivity' the way a dropped TCP connection ends.
/// </summary>
public sealed class BoshEndpoint(C2sServices services, ILogger<BoshEndpoint> logger) : IAsyncDisposable
{
    /// <summary>The path web clients post to (Prosody's; ejabberd's <c>/bosh</c> is an alias).</summary>
    public const string Path = "/http-bind";

    private const string HttpBindNs = "http://jabber.org/protocol/httpbind";
    private const string XboshNs = "urn:xmpp:xbosh";
    private const int Polling = 2;

    private readonly ConcurrentDictionary<string, BoshSession> _sessions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The number of live sessions.</summary>
    public int Count => _sessions.Count;

    /// <summary>Serves one HTTP request to the endpoint.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        // XEP-0124 §5 / XEP-0156: browsers on other origins post here, so every answer allows them (CORS).
        http.Response.Headers.AccessControlAllowOrigin = "*";
        http.Response.Headers.AccessControlAllowHeaders = "Content-Type";
        http.Response.Headers.AccessControlAllowMethods = "POST, OPTIONS";
        if (HttpMethods.IsOptions(http.Request.Method))
        {
            return;
        }

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync("This is a BOSH endpoint (XEP-0124/XEP-0206): POST <body/> elements\n", http.RequestAborted).ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(http).ConfigureAwait(false);
        if (body is null || body.Name != XName.Get("body", HttpBindNs) || !long.TryParse((string?)body.Attribute("rid"), NumberStyles.None, CultureInfo.InvariantCulture, out var rid))
        {
            // XEP-0124 §17.1: an unparsable request is answered 400 with the bad-request condition.
            await AnswerAsync(http, BoshSession.Body([], terminate: true, "bad-request"), StatusCodes.Status400BadRequest).ConfigureAwait(false);
            return;
        }

        var sid = (string?)body.Attribute("sid");
        if (sid is null)
        {
            await CreateAsync(http, body, rid).ConfigureAwait(false);
            return;
        }

        if (!_sessions.TryGetValue(sid, out var session))
        {
            // XEP-0124 §17.2: an unknown (or ended) session is item-not-found.
            await AnswerAsync(http, BoshSession.Body([], terminate: true, "item-not-found"), StatusCodes.Status404NotFound).ConfigureAwait(false);
            return;
        }

        await ContinueAsync(http, session, body, rid).ConfigureAwait(false);
    }

    private async Task CreateAsync(HttpContext http, XElement body, long rid)
    {
        var to = (string?)body.Attribute("to");
        if (string.IsNullOrEmpty(to))
        {
            await AnswerAsync(http, BoshSession.Body([], terminate: true, "bad-request"), StatusCodes.Status400BadRequest).ConfigureAwait(false);
            return;
        }

        var limits = services.Options.Bosh;
        var wait = Math.Clamp(IntAttribute(body, "wait") ?? limits.MaxWaitSeconds, 1, limits.MaxWaitSeconds);
        var hold = Math.Clamp(IntAttribute(body, "hold") ?? 1, 0, 1);
        var sid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var session = new BoshSession(sid, rid, wait, hold, limits.MaxInactivitySeconds, http.Request.IsHttps, services.Time);
        _sessions[sid] = session;
        var connection = new WebConnection(
            "bosh-" + sid[..8],
            new WebConnection.Pipes(session.Input.Reader, session.Output),
            http.Connection.RemoteIpAddress is { } remote ? new System.Net.IPEndPoint(remote, http.Connection.RemotePort) : null,
            http.Connection.LocalIpAddress is { } local ? new System.Net.IPEndPoint(local, http.Connection.LocalPort) : null);
        connection.Features.Set<StreamFraming>(session);
        var stream = new C2sStream(connection, services, directTls: false);
        WebLog.BoshSessionCreated(logger, sid, http.Connection.RemoteIpAddress);
        _ = RunAsync(session, stream, connection);
        _ = WatchInactivityAsync(session);

        ElementWriter.WriteStreamHeader(session.Input.Writer, Ns.Client, null, to, null, "1.0", (string?)body.Attribute(XNamespace.Xml + "lang"));
        await session.Input.Writer.FlushAsync(http.RequestAborted).ConfigureAwait(false);
        await session.Gate.WaitAsync(http.RequestAborted).ConfigureAwait(false);
        try
        {
            var (messages, ended) = await session.TakeAsync(mayHold: true, http.RequestAborted).ConfigureAwait(false);
            var attributes = string.Create(CultureInfo.InvariantCulture,
                $" xmlns:xmpp='{XboshNs}' sid='{sid}' wait='{wait}' hold='{hold}' requests='{session.Requests}' inactivity='{session.Inactivity}' polling='{Polling}' ver='1.11' from='{Escape(session.From ?? to)}' authid='{session.StreamId}' xmpp:version='1.0' xmpp:restartlogic='true'");
            await AnswerAsync(http, BoshSession.Body(messages, ended, ended ? "remote-stream-error" : null, attributes), StatusCodes.Status200OK).ConfigureAwait(false);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private async Task ContinueAsync(HttpContext http, BoshSession session, XElement body, long rid)
    {
        if (!await session.AwaitTurnAsync(rid, http.RequestAborted).ConfigureAwait(false))
        {
            // XEP-0124 §14.2: a 'rid' outside the window ends the session.
            WebLog.BoshRidRefused(logger, session.Sid, rid);
            session.Input.Writer.Complete();
            await AnswerAsync(http, BoshSession.Body([], terminate: true, "item-not-found"), StatusCodes.Status404NotFound).ConfigureAwait(false);
            return;
        }

        var terminate = (string?)body.Attribute("type") == "terminate";
        await session.Gate.WaitAsync(http.RequestAborted).ConfigureAwait(false);
        try
        {
            var input = session.Input.Writer;
            foreach (var child in body.Elements())
            {
                input.Write(Encoding.UTF8.GetBytes(child.ToString(SaveOptions.DisableFormatting | SaveOptions.OmitDuplicateNamespaces)));
            }

            if ((string?)body.Attribute(XName.Get("restart", XboshNs)) == "true")
            {
                // XEP-0206 §5: after SASL success the client asks for a stream restart instead of sending a header.
                ElementWriter.WriteStreamHeader(input, Ns.Client, null, session.From, null, "1.0", null);
            }

            if (terminate)
            {
                ElementWriter.WriteStreamFooter(input);
            }

            await input.FlushAsync(http.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            session.Gate.Release();
        }

        // A request that carried something is answered as soon as there is output; an empty one is held.
        var (messages, ended) = await session.TakeAsync(mayHold: !terminate, http.RequestAborted).ConfigureAwait(false);
        if (terminate && !ended)
        {
            (messages, ended) = await session.TakeAsync(mayHold: true, http.RequestAborted).ConfigureAwait(false);
        }

        if (terminate)
        {
            // XEP-0124 §13: the session is over; its id means nothing from now on.
            _sessions.TryRemove(session.Sid, out _);
        }

        await AnswerAsync(http, BoshSession.Body(messages, ended || terminate, ended && !terminate ? "remote-stream-error" : null), StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private async Task RunAsync(BoshSession session, C2sStream stream, WebConnection connection)
    {
        try
        {
            await stream.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            session.End();
            _sessions.TryRemove(session.Sid, out _);
            await connection.DisposeAsync().ConfigureAwait(false);
            WebLog.BoshSessionEnded(logger, session.Sid);
        }
    }

    /// <summary>
    /// XEP-0124 §7: a session with no request held for longer than 'inactivity' seconds is gone; its stream ends as for
    /// a dropped TCP connection (resumable under XEP-0198, otherwise its presence ends and new messages go offline).
    /// </summary>
    private async Task WatchInactivityAsync(BoshSession session)
    {
        var time = session.Time;
        try
        {
            while (!session.Ended)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, _stopping.Token).ConfigureAwait(false);
                if (session.Held == 0 && time.GetElapsedTime(session.LastActivity) > TimeSpan.FromSeconds(session.Inactivity))
                {
                    WebLog.BoshInactive(logger, session.Sid);
                    await session.Input.Writer.CompleteAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the streams are closed by the server's shutdown.
        }
    }

    private static int? IntAttribute(XElement body, string name) =>
        int.TryParse((string?)body.Attribute(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static string Escape(string value) => System.Security.SecurityElement.Escape(value) ?? string.Empty;

    private async Task<XElement?> ReadBodyAsync(HttpContext http)
    {
        var limit = services.Options.Limits.MaxStanzaBytes * 2L;
        if (http.Request.ContentLength > limit)
        {
            return null;
        }

        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
            if (buffer.Length > limit)
            {
                return null;
            }

            buffer.Position = 0;
            using var reader = XmlReader.Create(buffer, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = limit });
            return XElement.Load(reader);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static async Task AnswerAsync(HttpContext http, string body, int status)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/xml; charset=utf-8";
        await http.Response.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
