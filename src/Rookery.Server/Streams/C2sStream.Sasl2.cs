using System.Globalization;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Server.Streams;

/// <content>
/// The Extensible SASL Profile (XEP-0388) with inline Bind 2 (XEP-0386) and inline stream resumption (XEP-0198 §5 in
/// SASL2). The SASL mechanisms themselves are those of RFC 6120 SASL (see C2sStream.Auth.cs): only the framing
/// differs, and success neither restarts the stream nor leaves it unbound when the client asked to bind inline.
/// </content>
public sealed partial class C2sStream
{
    private const string CarbonsModuleName = "carbons";
    private const string CarbonsNs = "urn:xmpp:carbons:2";

    /// <summary>The SASL2 request whose exchange is in progress; null between exchanges and with RFC 6120 SASL.</summary>
    private Sasl2Authenticate? _sasl2;

    /// <summary>True when the latest exchange uses the SASL2 framing (its challenges, failures and outcome).</summary>
    private bool _saslV2;

    private bool Sasl2Offered => _services.Modules.IsEnabled(Sasl2Module.ModuleName, _domain!);

    private bool Bind2Offered => Sasl2Offered && _services.Modules.IsEnabled(Bind2Module.ModuleName, _domain!);

    private bool CarbonsOffered => _services.Modules.IsEnabled(CarbonsModuleName, _domain!);

    private bool CsiOffered => _services.Modules.IsEnabled(ClientStateIndicationModule.ModuleName, _domain!);

    /// <summary>
    /// XEP-0388 §2.1: the SASL2 feature with the same mechanisms as RFC 6120 SASL, and what may be done inline: Bind 2
    /// with the session features it can enable (XEP-0386 §3.1), and resumption (XEP-0198, the &lt;sm/&gt; inline).
    /// </summary>
    private void AddSasl2Feature(Element features)
    {
        if (!Sasl2Offered)
        {
            return;
        }

        var authentication = features.AddChild("authentication", Sasl2Authenticate.Namespace);
        foreach (var name in OfferedMechanisms())
        {
            authentication.AddChild("mechanism", Sasl2Authenticate.Namespace).AddText(name);
        }

        var inline = authentication.AddChild("inline", Sasl2Authenticate.Namespace);
        if (Bind2Offered)
        {
            var bindInline = inline.AddChild("bind", Bind2Request.Namespace).AddChild("inline", Bind2Request.Namespace);
            if (CarbonsOffered)
            {
                bindInline.AddChild("feature", Bind2Request.Namespace).SetAttribute("var", CarbonsNs);
            }

            if (CsiOffered)
            {
                bindInline.AddChild("feature", Bind2Request.Namespace).SetAttribute("var", ClientStateIndication.Namespace);
            }

            if (StreamManagementOffered)
            {
                bindInline.AddChild("feature", Bind2Request.Namespace).SetAttribute("var", StreamManagementNs);
            }
        }

        if (StreamManagementOffered)
        {
            inline.AddChild("sm", StreamManagementNs);
        }

        AddFastFeature(inline);
    }

    private async ValueTask OnAuthenticateAsync(Element element)
    {
        _saslV2 = true;
        Sasl2Authenticate request;
        try
        {
            request = Sasl2Authenticate.Parse(element, StreamManagementNs);
        }
        catch (SaslException e)
        {
            await FailAsync(e.Failure).ConfigureAwait(false);
            return;
        }

        _sasl2 = request;
        try
        {
            if (HashedTokenMechanism.IsHashedToken(request.Mechanism))
            {
                await FastAuthAsync(request).ConfigureAwait(false);
            }
            else
            {
                await StartAuthAsync(request.Mechanism, request.InitialResponse).ConfigureAwait(false);
            }
        }
        finally
        {
            // Still set only while a challenge waits for its <response/>; any outcome ends the exchange.
            if (_scram is null)
            {
                _sasl2 = null;
            }
        }
    }

    /// <summary>
    /// XEP-0388 §2.6.1: authenticated. Carries out the inline requests (resumption first, then Bind 2, as XEP-0386 §3.2
    /// orders them), answers with &lt;success/&gt; naming the full JID when a resource is now bound and the bare JID
    /// otherwise, and follows it at once with the stream features of the authenticated stream: no stream restart.
    /// </summary>
    private async ValueTask Sasl2SucceedAsync(Jid user, byte[]? additionalData)
    {
        var request = _sasl2!;
        _services.Throttle.RecordSuccess(RemoteAddress);
        _authenticated = user;
        Log.Authenticated(Logger, _connection.ConnectionId, user);
        Log.Sasl2UserAgent(Logger, _connection.ConnectionId, request.Software, request.Device);
        var success = new Element("success", Sasl2Authenticate.Namespace);
        if (additionalData is not null)
        {
            success.AddChild("additional-data", Sasl2Authenticate.Namespace).AddText(Convert.ToBase64String(additionalData));
        }

        var identifier = success.AddChild("authorization-identifier", Sasl2Authenticate.Namespace);
        await HandleFastTokensAsync(user, request, success).ConfigureAwait(false);
        if (request.Resume is { } resume && await TryResumeInlineAsync(resume, success, identifier).ConfigureAwait(false))
        {
            return;
        }

        if (request.Bind is { } bind && Bind2Offered)
        {
            await BindInlineAsync(user, request, bind, success, identifier).ConfigureAwait(false);
            return;
        }

        identifier.AddText(user.ToString());
        SendElement(success);
        SendFeatures();
    }

    /// <summary>
    /// XEP-0198 resumption inside SASL2: on success &lt;resumed/&gt; goes inside &lt;success/&gt;, which is written
    /// together with the stanzas the client never acknowledged; otherwise &lt;failed/&gt; is added to the coming
    /// &lt;success/&gt; and the caller goes on to bind (XEP-0386 §3.2).
    /// </summary>
    private async ValueTask<bool> TryResumeInlineAsync(Element resume, Element success, Element identifier)
    {
        var previd = resume.GetAttribute("previd");
        var validRequest = TryParseH(resume, out var h) && previd is not null && StreamManagementOffered;
        var session = validRequest ? await _services.Lifecycle.FindResumableAsync(previd!, _authenticated!, _closing.Token).ConfigureAwait(false) : null;
        if (session is not null)
        {
            var resumed = new Element("resumed", StreamManagementNs)
                .SetAttribute("previd", previd)
                .SetAttribute("h", session.Handled.ToString(CultureInfo.InvariantCulture));
            identifier.AddText(session.Jid.ToString());
            success.Add(resumed);
            if (session.TryAttach(this, h, success, out var previous, BuildFeatures(bound: true)))
            {
                _session = session;
                _state = StreamState.Bound;
                Log.Resumed(Logger, _connection.ConnectionId, session.Jid);
                previous?.CloseStream(StreamErrorCondition.Conflict, "The session was resumed on another connection");
                return true;
            }

            success.Remove(resumed);
            identifier.ClearNodes();
        }

        success.Add(SmFailed(StanzaErrorCondition.ItemNotFound));
        return false;
    }

    /// <summary>
    /// XEP-0386 §3.2: binds a server-generated resource and enables the inline features the client asked for, all
    /// before the session enters the routing table, so nothing routed to it can overtake &lt;success/&gt; and the
    /// cluster learns of it with its carbons flag already set.
    /// </summary>
    private async ValueTask BindInlineAsync(Jid user, Sasl2Authenticate request, Bind2Request bind, Element success, Element identifier)
    {
        var full = user.WithResource(Bind2Resource.Create(user, bind.Tag, request.UserAgentId));
        var session = new ClientSession(full, this, _services.Options.StreamManagement.MaxUnacked)
        {
            IsAnonymous = _anonymousAccount is not null,
            WhileDetached = _services.Lifecycle.WhileDetached,
        };
        var bound = new Element("bound", Bind2Request.Namespace);
        if (bind.Find("enable", StreamManagementNs) is { } enable)
        {
            // XEP-0386 §3.2: the <bound/> answer carries XEP-0198's <enabled/> or <failed/>.
            bound.Add(EnableManagement(session, enable));
        }

        if (bind.Find("enable", CarbonsNs) is not null && CarbonsOffered)
        {
            // XEP-0386 §3.2: enabling carbons cannot fail, so nothing is answered.
            session.SetCarbonsEnabled(true);
        }

        if (bind.Find("inactive", ClientStateIndication.Namespace) is not null && CsiOffered)
        {
            // XEP-0386 §3.2: the session begins in the state the client names; active is every session's default.
            session.SetInactive(true);
        }

        identifier.AddText(full.ToString());
        success.Add(bound);
        _session = session;
        _state = StreamState.Bound;
        SendElement(success);
        SendElement(BuildFeatures(bound: true));
        // As with RFC 6120 binding: a session with the same full JID (the same client reconnecting, given the stable
        // resource) ends with <conflict/>, which is what XEP-0386 §3.2 asks for earlier sessions of one client.
        await _services.Lifecycle.BindAsync(session).ConfigureAwait(false);
        Log.Bound(Logger, _connection.ConnectionId, full);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5580, Level = LogLevel.Debug, Message = "Connection {ConnectionId} authenticated with SASL2 from software {Software} on device {Device}")]
        public static partial void Sasl2UserAgent(ILogger logger, string connectionId, string? software, string? device);
    }
}
