using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;

namespace Rookery.Server.Streams;

/// <summary>
/// An incoming server-to-server stream (ejabberd <c>ejabberd_s2s_in</c>): answers the header, offers STARTTLS with the
/// host's certificate and Server Dialback, plays the receiving server (<c>db:result</c>, checked with the authoritative
/// server through <see cref="S2SManager"/>) and the authoritative server (<c>db:verify</c>, XEP-0220 §2.1.3), and routes
/// the stanzas of the domain pairs verified on this stream, refusing anything else with the stream errors of RFC 6120 §4.9.
/// </summary>
internal sealed partial class S2sInStream : S2sStream
{
    // The (local, remote) domain pairs dialback verified on this stream; replaced as a whole, read without a lock.
    private volatile (string Local, string Remote)[] _verified = [];
    private readonly Lock _verifiedLock = new();
    private string _streamId = string.Empty;
    private string? _localDomain;
    private int _headerSent;

    /// <summary>Creates the stream for an accepted connection.</summary>
    public S2sInStream(S2SManager manager)
        : base(manager)
    {
    }

    /// <summary>Whether a stanza from <paramref name="remote"/> to <paramref name="local"/> may arrive on this stream.</summary>
    public bool IsVerified(string local, string remote)
    {
        foreach (var pair in _verified)
        {
            if (pair.Local == local && pair.Remote == remote)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    protected override void WriteHeader(PipeWriter output) =>
        ElementWriter.WriteServerStreamHeader(output, _localDomain, null, _streamId);

    /// <inheritdoc />
    protected override void EnsureHeaderSent()
    {
        if (Interlocked.Exchange(ref _headerSent, 1) == 0)
        {
            _streamId = NewStreamId();
            SendHeader();
        }
    }

    /// <inheritdoc />
    protected override void OnTlsEstablished() => Interlocked.Exchange(ref _headerSent, 0);

    /// <inheritdoc />
    protected override async Task<SslStream> AuthenticateTlsAsync(Stream transport, CancellationToken ct)
    {
        var tls = new SslStream(transport, leaveInnerStreamOpen: false);
        string? sni = null;
        await tls.AuthenticateAsServerAsync(
            (_, hello, _, _) =>
            {
                // STARTTLS knows the host from the stream header; direct TLS (XEP-0368) learns it from SNI.
                sni = hello.ServerName;
                var identity = Manager.Certificates.GetIdentity(_localDomain ?? sni);
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = identity.Context,
                    ClientCertificateRequired = false,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    // XEP-0368 §4: a direct TLS peer names the protocol by ALPN; one that sends none is accepted too.
                    ApplicationProtocols = StartedWithTls ? [XmppServerAlpn] : null,
                });
            },
            null,
            ct).ConfigureAwait(false);
        if (StartedWithTls)
        {
            Log.DirectTlsAccepted(Logger, ConnectionId, sni, tls.NegotiatedApplicationProtocol, RemoteAddress);
        }

        return tls;
    }

    /// <inheritdoc />
    protected override ValueTask OnEndedAsync(List<Element> unwritten) =>
        // Only dialback answers are written on an incoming stream (RFC 6120 §4.1: stanzas flow the other way).
        ValueTask.CompletedTask;

    /// <inheritdoc />
    protected override async ValueTask<bool> OnEventAsync(XmlStreamEvent ev)
    {
        if (ev.Kind == XmlStreamEventKind.StreamOpen)
        {
            OnStreamHeader(ev.Element!);
            return false;
        }

        var element = ev.Element!;
        if (element.Namespace == Ns.Tls && element.Name == "starttls")
        {
            if (IsSecure || !Manager.Options.UseTls)
            {
                throw new StreamErrorException(StreamErrorCondition.PolicyViolation, IsSecure ? "TLS is already in place" : "STARTTLS is not offered");
            }

            SendControl(new Element("proceed", Ns.Tls));
            return true;
        }

        if (element.Namespace == Ns.Dialback)
        {
            switch (element.Name)
            {
                case "result":
                    OnDialbackResult(element);
                    return false;
                case "verify":
                    OnDialbackVerify(element);
                    return false;
            }
        }

        await OnStanzaAsync(element).ConfigureAwait(false);
        return false;
    }

    private void OnStreamHeader(Element header)
    {
        var to = header.GetAttribute("to");
        if (to is not null && Jid.TryParse(to, out var toJid) && toJid.IsDomain && toJid.IsBare && Manager.IsServed(toJid.Domain))
        {
            _localDomain = toJid.Domain;
        }

        // A new stream id for every (re)started stream (RFC 6120 §4.7.3): dialback keys are bound to it.
        _streamId = NewStreamId();
        Interlocked.Exchange(ref _headerSent, 1);
        SendHeader();
        if (Parser.ContentNamespace != Ns.Server)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidNamespace, "Server streams use jabber:server");
        }

        if (to is not null && _localDomain is null)
        {
            Log.UnknownHost(Logger, ConnectionId, to, RemoteAddress);
            throw new StreamErrorException(StreamErrorCondition.HostUnknown, $"{to} is not served here");
        }

        if (header.GetAttribute("version") is { } version && version.StartsWith("1.", StringComparison.Ordinal))
        {
            // RFC 6120 §4.3.2: a 1.0 stream gets features; STARTTLS first (§5.3.1), dialback always (XEP-0220 §2.4).
            var features = new Element("features", Ns.Streams);
            if (Manager.Options.UseTls && !IsSecure)
            {
                features.AddChild("starttls", Ns.Tls);
            }

            features.AddChild("dialback", Ns.DialbackFeature).AddChild("errors", Ns.DialbackFeature);
            // XEP-0478: what this stream's parser accepts, and the silence after which the idle sweep closes it.
            StreamLimitsFeature.AddTo(features, Manager.ServerOptions.Limits.MaxStanzaBytes, Manager.Options.IdleTimeoutSeconds);
            SendControl(features);
        }
    }

    /// <summary>
    /// XEP-0220 §2.1.2: the originating server asks to send from <c>from</c> to <c>to</c> with a key; this node, the
    /// receiving server, asks the authoritative server of <c>from</c> whether the key is right and answers with
    /// <c>type='valid'</c> or <c>'invalid'</c>. The check runs off the read loop, so that other requests are not held up.
    /// </summary>
    private void OnDialbackResult(Element element)
    {
        if (element.GetAttribute("type") is not null)
        {
            // A verdict only travels on the other direction's stream.
            throw new StreamErrorException(StreamErrorCondition.UnsupportedStanzaType, "A db:result verdict is not expected on an incoming stream");
        }

        var (local, remote) = DialbackAddresses(element);
        var key = element.Text.Trim();
        if (key.Length == 0)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidXml, "db:result without a key");
        }

        var streamId = _streamId;
        Log.DialbackRequested(Logger, ConnectionId, remote, local);
        _ = AnswerResultAsync(local, remote, streamId, key);
    }

    private async Task AnswerResultAsync(string local, string remote, string streamId, string key)
    {
        DialbackOutcome outcome;
        try
        {
            outcome = await Manager.VerifyKeyAsync(local, remote, streamId, key).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.DialbackCheckFailed(Logger, e, ConnectionId, remote);
            outcome = DialbackOutcome.Failed;
        }

        var answer = new Element("result", Ns.Dialback).SetAttribute("from", local).SetAttribute("to", remote);
        switch (outcome)
        {
            case DialbackOutcome.Valid:
                lock (_verifiedLock)
                {
                    _verified = [.. _verified, (local, remote)];
                }

                answer.SetAttribute("type", "valid");
                Log.DialbackValid(Logger, ConnectionId, remote, local, IsSecure);
                break;
            case DialbackOutcome.Invalid:
                answer.SetAttribute("type", "invalid");
                Log.DialbackInvalid(Logger, ConnectionId, remote, local, RemoteAddress);
                break;
            default:
                // XEP-0220 §2.4: the authoritative server could not be reached.
                answer.SetAttribute("type", "error");
                answer.AddChild("error", Ns.Client).SetAttribute("type", "cancel")
                    .AddChild("remote-server-not-found", Ns.StanzaErrors);
                break;
        }

        SendControl(answer);
    }

    /// <summary>
    /// XEP-0220 §2.1.3: as the authoritative server of <c>to</c>, tell the receiving server <c>from</c> whether the key
    /// it was given on stream <c>id</c> is one of ours. The key is recomputed from the shared secret (XEP-0185), so any
    /// node of a cluster can answer for a key another node generated.
    /// </summary>
    private void OnDialbackVerify(Element element)
    {
        if (element.GetAttribute("type") is not null)
        {
            throw new StreamErrorException(StreamErrorCondition.UnsupportedStanzaType, "A db:verify verdict is not expected on an incoming stream");
        }

        var id = element.GetAttribute("id");
        var from = element.GetAttribute("from");
        var to = element.GetAttribute("to");
        if (id is null || from is null || to is null)
        {
            throw new StreamErrorException(StreamErrorCondition.ImproperAddressing, "db:verify needs from, to and id");
        }

        var valid = Manager.IsServed(to) && Manager.Keys.Verify(from, to, id, element.Text);
        SendControl(new Element("verify", Ns.Dialback)
            .SetAttribute("from", to)
            .SetAttribute("to", from)
            .SetAttribute("id", id)
            .SetAttribute("type", valid ? "valid" : "invalid"));
        Log.VerifyAnswered(Logger, ConnectionId, from, to, valid);
    }

    /// <summary>The (local, remote) pair a <c>db:result</c> names; bad addresses end the stream (XEP-0220 §2.4).</summary>
    private (string Local, string Remote) DialbackAddresses(Element element)
    {
        var from = element.GetAttribute("from");
        var to = element.GetAttribute("to");
        if (from is null || to is null || !Jid.TryParse(from, out var fromJid) || !fromJid.IsDomain || !fromJid.IsBare
            || !Jid.TryParse(to, out var toJid) || !toJid.IsDomain || !toJid.IsBare)
        {
            throw new StreamErrorException(StreamErrorCondition.ImproperAddressing, "db:result needs a domain in from and to");
        }

        if (!Manager.IsServed(toJid.Domain))
        {
            throw new StreamErrorException(StreamErrorCondition.HostUnknown, $"{to} is not served here");
        }

        if (Manager.IsServed(fromJid.Domain))
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidFrom, $"{from} is one of this server's own domains");
        }

        return (toJid.Domain, fromJid.Domain);
    }

    /// <summary>
    /// RFC 6120 §8.1.1.1/§8.1.2.1: on a server stream both addresses are required, and only the domain pairs verified on
    /// this stream may be used; anything else is refused with a stream error (§4.9.3.7, §4.9.3.9, §4.9.3.12).
    /// </summary>
    private async ValueTask OnStanzaAsync(Element element)
    {
        if (element.Namespace != Ns.Client || element.Name is not ("message" or "presence" or "iq"))
        {
            throw new StreamErrorException(StreamErrorCondition.UnsupportedStanzaType, $"<{element.Name} xmlns='{element.Namespace}'/> is not a stanza");
        }

        var fromAttr = element.GetAttribute("from");
        var toAttr = element.GetAttribute("to");
        if (fromAttr is null || toAttr is null)
        {
            throw new StreamErrorException(StreamErrorCondition.ImproperAddressing, "Stanzas between servers need 'from' and 'to'");
        }

        if (_verified.Length == 0)
        {
            throw new StreamErrorException(StreamErrorCondition.NotAuthorized, "No domain has been verified on this stream");
        }

        if (!Jid.TryParse(fromAttr, out var from))
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidFrom, $"'{fromAttr}' is not a JID");
        }

        if (!Jid.TryParse(toAttr, out var to))
        {
            throw new StreamErrorException(StreamErrorCondition.ImproperAddressing, $"'{toAttr}' is not a JID");
        }

        if (!Manager.IsServed(to.Domain))
        {
            throw new StreamErrorException(StreamErrorCondition.HostUnknown, $"{to.Domain} is not served here");
        }

        if (!IsVerified(to.Domain, from.Domain))
        {
            Log.SpoofedFrom(Logger, ConnectionId, fromAttr, toAttr, RemoteAddress);
            throw new StreamErrorException(StreamErrorCondition.InvalidFrom, $"{from.Domain} has not been verified for {to.Domain} on this stream");
        }

        await Manager.Router.RouteAsync(new Stanza(element, from, to)).ConfigureAwait(false);
    }

    private static string NewStreamId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private static partial class Log
    {
        [LoggerMessage(EventId = 4610, Level = LogLevel.Information, Message = "S2S connection {ConnectionId} from {Remote} asked for {Host}, which is not served here")]
        public static partial void UnknownHost(ILogger logger, string connectionId, string host, string? remote);

        [LoggerMessage(EventId = 4611, Level = LogLevel.Debug, Message = "S2S connection {ConnectionId}: {Remote} asks to send to {Local} (dialback)")]
        public static partial void DialbackRequested(ILogger logger, string connectionId, string remote, string local);

        [LoggerMessage(EventId = 4612, Level = LogLevel.Information, Message = "S2S connection {ConnectionId}: {Remote} verified by dialback for {Local} (TLS: {Secure})")]
        public static partial void DialbackValid(ILogger logger, string connectionId, string remote, string local, bool secure);

        [LoggerMessage(EventId = 4613, Level = LogLevel.Warning, Message = "S2S connection {ConnectionId} from {Address}: the dialback key for {Remote} -> {Local} is invalid")]
        public static partial void DialbackInvalid(ILogger logger, string connectionId, string remote, string local, string? address);

        [LoggerMessage(EventId = 4614, Level = LogLevel.Warning, Message = "S2S connection {ConnectionId}: checking the dialback key of {Remote} failed")]
        public static partial void DialbackCheckFailed(ILogger logger, Exception e, string connectionId, string remote);

        [LoggerMessage(EventId = 4615, Level = LogLevel.Debug, Message = "S2S connection {ConnectionId}: db:verify from {Receiving} for {Originating}: valid={Valid}")]
        public static partial void VerifyAnswered(ILogger logger, string connectionId, string receiving, string originating, bool valid);

        [LoggerMessage(EventId = 5310, Level = LogLevel.Debug, Message = "S2S connection {ConnectionId} from {Address}: direct TLS established (SNI {Sni}, ALPN '{Alpn}')")]
        public static partial void DirectTlsAccepted(ILogger logger, string connectionId, string? sni, SslApplicationProtocol alpn, string? address);

        [LoggerMessage(EventId = 4616, Level = LogLevel.Warning, Message = "S2S connection {ConnectionId} from {Address} sent a stanza from {From} to {To} that was not verified: closed")]
        public static partial void SpoofedFrom(ILogger logger, string connectionId, string from, string to, string? address);
    }
}
