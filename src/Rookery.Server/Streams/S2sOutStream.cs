using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;

namespace Rookery.Server.Streams;

/// <summary>
/// An outgoing server-to-server stream for one (local domain, remote domain) pair (ejabberd <c>ejabberd_s2s_out</c>):
/// connects, uses STARTTLS when offered, authenticates the local domain by Server Dialback (XEP-0220 §2.1) and then
/// carries that pair's stanzas. Stanzas routed while the stream is being set up wait in a bounded queue and are flushed
/// once dialback succeeds. When the connection fails before dialback begins (TLS handshake, stream error, closed), a new
/// stream takes over the queue and tries the domain's next connection point (<see cref="S2sConnector"/>, RFC 6120
/// §3.2.1); when none is left, or dialback fails, or the set-up times out, every queued stanza bounces
/// (remote-server-not-found or remote-server-timeout), and stanzas queued but never written when a verified stream ends
/// are routed again.
/// The stream also carries this node's <c>db:verify</c> requests to the remote domain as its authoritative server.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "StartAsync disposes the connector (and its set-up deadline) when the last stream of its chain ends.")]
internal sealed partial class S2sOutStream : S2sStream
{
    private readonly Lock _gate = new();
    private readonly List<Stanza> _pending = [];
    private readonly List<Element> _pendingVerifies = [];
    private readonly Dictionary<string, TaskCompletionSource<DialbackOutcome>> _verifyWaiters = new(StringComparer.Ordinal);
    private readonly S2sConnector _connector;
    private Phase _phase = Phase.Connecting;
    private bool _failed;
    private bool _negotiated;
    private bool _handedOff;

    /// <summary>
    /// Creates the stream for a pair; <see cref="StartAsync"/> connects it. A <paramref name="verifyOnly"/> stream only
    /// carries this node's <c>db:verify</c> questions (ejabberd's verification connection): it never authenticates,
    /// never carries stanzas, is not a route of the pair, and closes once its questions are answered. A stream that takes
    /// over from one whose connection failed gets its <paramref name="connector"/>, to try the next connection point.
    /// </summary>
    public S2sOutStream(S2SManager manager, string local, string remote, bool verifyOnly = false, S2sConnector? connector = null)
        : base(manager)
    {
        Local = local;
        Remote = remote;
        VerifyOnly = verifyOnly;
        _connector = connector ?? new S2sConnector(manager, remote);
    }

    private enum Phase
    {
        Connecting,
        AwaitingHeader,
        AwaitingFeatures,
        AwaitingProceed,
        AwaitingResult,
        Verified,
    }

    /// <summary>The local domain this stream sends from.</summary>
    public string Local { get; }

    /// <summary>The remote domain this stream sends to.</summary>
    public string Remote { get; }

    /// <summary>True for a stream that only carries <c>db:verify</c> questions.</summary>
    public bool VerifyOnly { get; }

    /// <summary>True once dialback verified the local domain to the remote server.</summary>
    public bool IsVerified
    {
        get
        {
            lock (_gate)
            {
                return _phase == Phase.Verified;
            }
        }
    }

    /// <summary>
    /// Takes a stanza for the remote domain: written at once on a verified stream, else queued until verification.
    /// False when the stream is closing or failed (the caller opens a new one); a full write queue
    /// (<c>Limits:MaxLinkOutboundQueue</c>: the peer does not read) closes the stream with <c>resource-constraint</c>
    /// and so is false too, while what that queue holds is routed again once the stream has ended.
    /// </summary>
    /// <exception cref="StanzaErrorException">The set-up queue is full (resource-constraint).</exception>
    public bool TryEnqueue(Stanza stanza)
    {
        lock (_gate)
        {
            if (_failed || IsClosing || VerifyOnly)
            {
                return false;
            }

            if (_phase != Phase.Verified)
            {
                if (_pending.Count >= Manager.Options.MaxQueuedStanzas)
                {
                    throw new StanzaErrorException(StanzaErrorCondition.ResourceConstraint, $"Too many stanzas waiting for the stream to {Remote}");
                }

                _pending.Add(stanza);
                return true;
            }
        }

        return SendStanza(stanza.Element);
    }

    /// <summary>
    /// XEP-0220 §2.1.2: asks the remote domain, as the authoritative server, whether <paramref name="key"/> given on an
    /// incoming stream with <paramref name="streamId"/> is its own. Completes with <see cref="DialbackOutcome.Failed"/>
    /// when this stream fails first.
    /// </summary>
    public Task<DialbackOutcome> RequestVerifyAsync(string streamId, string key)
    {
        var request = new Element("verify", Ns.Dialback)
            .SetAttribute("from", Local)
            .SetAttribute("to", Remote)
            .SetAttribute("id", streamId)
            .AddText(key);
        var waiter = new TaskCompletionSource<DialbackOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_failed || IsClosing)
            {
                return Task.FromResult(DialbackOutcome.Failed);
            }

            _verifyWaiters[streamId] = waiter;
            if (_negotiated)
            {
                SendControl(request);
            }
            else
            {
                _pendingVerifies.Add(request);
            }
        }

        return waiter.Task;
    }

    /// <summary>Connects to the remote domain's next connection point and runs the stream until it ends; never throws.</summary>
    public async Task StartAsync()
    {
        Microsoft.AspNetCore.Connections.ConnectionContext connection;
        bool directTls;
        try
        {
            (connection, directTls) = await _connector.ConnectNextAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            var timedOut = _connector.TimedOut;
            Log.ConnectFailed(Logger, Local, Remote, e.Message);
            Fail(timedOut ? StanzaErrorCondition.RemoteServerTimeout : StanzaErrorCondition.RemoteServerNotFound, $"Cannot connect to {Remote}: {e.Message}");
            _connector.Dispose();
            return;
        }

        // Until dialback succeeds the set-up deadline applies; after it only the idle timeout does.
        var deadline = _connector.Deadline.Register(OnSetupTimeout);
        try
        {
            lock (_gate)
            {
                _phase = Phase.AwaitingHeader;
            }

            Manager.AddConnection(this);
            await RunAsync(connection, directTls).ConfigureAwait(false);
        }
        finally
        {
            Manager.RemoveConnection(this);
            await deadline.DisposeAsync().ConfigureAwait(false);
            if (!_handedOff)
            {
                _connector.Dispose();
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnSetupTimeout()
    {
        lock (_gate)
        {
            if (_phase == Phase.Verified || _failed || (VerifyOnly && _verifyWaiters.Count == 0))
            {
                return;
            }
        }

        Log.SetupTimedOut(Logger, Local, Remote);
        Fail(StanzaErrorCondition.RemoteServerTimeout, $"The stream to {Remote} was not set up in time");
        CloseStream(StreamErrorCondition.ConnectionTimeout, "Dialback took too long");
    }

    /// <inheritdoc />
    protected override void OnStarted()
    {
        // RFC 6120 §4.2: the initiating entity speaks first.
        SendHeader();
    }

    /// <inheritdoc />
    protected override void WriteHeader(PipeWriter output) => ElementWriter.WriteServerStreamHeader(output, Local, Remote, id: null);

    /// <inheritdoc />
    protected override void OnTlsEstablished()
    {
        lock (_gate)
        {
            _phase = Phase.AwaitingHeader;
        }

        // RFC 6120 §5.4.3.3: the initiating entity opens a new stream over TLS.
        SendHeader();
    }

    /// <inheritdoc />
    protected override async Task<SslStream> AuthenticateTlsAsync(Stream transport, CancellationToken ct)
    {
        var requireValid = Manager.Options.RequireValidCertificates;
        var tls = new SslStream(transport, leaveInnerStreamOpen: false);
        var valid = false;
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = Remote,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    // XEP-0368 §4: a direct TLS connection names the protocol by ALPN; STARTTLS needs none.
                    ApplicationProtocols = StartedWithTls ? [XmppServerAlpn] : null,
                    RemoteCertificateValidationCallback = (_, _, _, errors) =>
                    {
                        // RFC 7590 §3.2 / RFC 6125: a valid certificate for the remote domain. Without one the peer is still
                        // authenticated by dialback (XEP-0220 §1), as ejabberd and Prosody allow, unless configured otherwise.
                        valid = errors == SslPolicyErrors.None;
                        return valid || !requireValid;
                    },
                },
                ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            // Tried elsewhere (OnEndedAsync): a target that cannot do TLS is a failed target, not a failed pair.
            _connector.ConnectionFailed("TLS handshake failed: " + e.Message);
            throw;
        }

        Log.TlsEstablished(Logger, Local, Remote, valid);
        return tls;
    }

    /// <inheritdoc />
    protected override ValueTask<bool> OnEventAsync(XmlStreamEvent ev)
    {
        if (ev.Kind == XmlStreamEventKind.StreamOpen)
        {
            OnStreamHeader(ev.Element!);
            return ValueTask.FromResult(false);
        }

        var element = ev.Element!;
        if (element.Namespace == Ns.Streams && element.Name == "features")
        {
            return ValueTask.FromResult(OnFeatures(element));
        }

        if (element.Namespace == Ns.Streams && element.Name == "error")
        {
            var condition = element.Elements().FirstOrDefault(c => c.Namespace == Ns.StreamErrors && c.Name != "text")?.Name ?? "undefined-condition";
            Log.StreamErrorReceived(Logger, Local, Remote, condition);
            ConnectionFailed($"{Remote} closed the stream: {condition}");
            return ValueTask.FromResult(false);
        }

        if (element.Namespace == Ns.Tls)
        {
            if (element.Name == "proceed" && CurrentPhase == Phase.AwaitingProceed)
            {
                return ValueTask.FromResult(true);
            }

            ConnectionFailed($"{Remote} refused STARTTLS");
            return ValueTask.FromResult(false);
        }

        if (element.Namespace == Ns.Dialback)
        {
            if (element.Name == "result")
            {
                OnResultVerdict(element);
            }
            else if (element.Name == "verify")
            {
                OnVerifyVerdict(element);
            }

            return ValueTask.FromResult(false);
        }

        // RFC 6120 §4.1: a server stream carries stanzas one way; nothing else is expected from the receiving server.
        Log.Unexpected(Logger, Local, Remote, element.Name, element.Namespace);
        return ValueTask.FromResult(false);
    }

    private Phase CurrentPhase
    {
        get
        {
            lock (_gate)
            {
                return _phase;
            }
        }
    }

    private void OnStreamHeader(Element header)
    {
        if (Parser.ContentNamespace != Ns.Server)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidNamespace, "Server streams use jabber:server");
        }

        StreamId = header.GetAttribute("id");
        if (header.GetAttribute("version") is { } version && version.StartsWith("1.", StringComparison.Ordinal))
        {
            lock (_gate)
            {
                _phase = Phase.AwaitingFeatures;
            }

            return;
        }

        // A pre-RFC 6120 peer sends no features: dialback right away (XEP-0220 §2.1.1).
        StartDialback();
    }

    /// <summary>The receiving server's stream id, which the dialback key is bound to.</summary>
    private string? StreamId { get; set; }

    private bool OnFeatures(Element features)
    {
        var startTls = features.Child("starttls", Ns.Tls);
        if (startTls is not null && Manager.Options.UseTls && !IsSecure)
        {
            lock (_gate)
            {
                _phase = Phase.AwaitingProceed;
            }

            SendControl(new Element("starttls", Ns.Tls));
            return false;
        }

        if (startTls?.Child("required", Ns.Tls) is not null && !IsSecure)
        {
            ConnectionFailed($"{Remote} requires TLS, which S2S:UseTls turns off");
            return false;
        }

        StartDialback();
        return false;
    }

    /// <summary>XEP-0220 §2.1.1: the key for (receiving = remote, originating = local, the receiving server's stream id).</summary>
    private void StartDialback()
    {
        if (StreamId is not { Length: > 0 } id)
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidXml, "The stream header has no id to bind a dialback key to");
        }

        lock (_gate)
        {
            _negotiated = true;
            _phase = Phase.AwaitingResult;
            foreach (var request in _pendingVerifies)
            {
                SendControl(request);
            }

            _pendingVerifies.Clear();
        }

        if (!VerifyOnly)
        {
            var key = Manager.Keys.Generate(Remote, Local, id);
            SendControl(new Element("result", Ns.Dialback).SetAttribute("from", Local).SetAttribute("to", Remote).AddText(key));
        }
    }

    private void OnResultVerdict(Element element)
    {
        var type = element.GetAttribute("type");
        if (type == "valid")
        {
            lock (_gate)
            {
                if (_failed)
                {
                    return;
                }

                _phase = Phase.Verified;
                foreach (var stanza in _pending)
                {
                    if (!SendStanza(stanza.Element))
                    {
                        // Only when the stream is closing already: routed again with the rest in OnEndedAsync.
                        _ = BounceAllAsync([stanza], StanzaErrorCondition.ResourceConstraint, $"Too many stanzas waiting to be written to {Remote}");
                    }
                }

                _pending.Clear();
            }

            Log.Verified(Logger, Local, Remote, IsSecure);
            Manager.OnVerified(this);
            return;
        }

        Log.DialbackRefused(Logger, Local, Remote, type ?? "(none)");
        Fail(StanzaErrorCondition.RemoteServerNotFound, $"{Remote} did not accept this server's dialback ({type})");
        CloseGracefully();
    }

    private void OnVerifyVerdict(Element element)
    {
        var id = element.GetAttribute("id");
        TaskCompletionSource<DialbackOutcome>? waiter = null;
        var done = false;
        lock (_gate)
        {
            if (id is not null && _verifyWaiters.Remove(id, out var found))
            {
                waiter = found;
            }

            done = VerifyOnly && _verifyWaiters.Count == 0;
        }

        if (done)
        {
            // Every question answered: the verification connection has served (a new question opens a new one).
            Manager.RemoveOutgoing(this);
            CloseGracefully();
        }

        waiter?.TrySetResult(element.GetAttribute("type") switch
        {
            "valid" => DialbackOutcome.Valid,
            "invalid" => DialbackOutcome.Invalid,
            _ => DialbackOutcome.Failed,
        });
    }

    /// <summary>
    /// This connection cannot serve: before dialback began it is the connection point's failure (the next one is tried
    /// when the stream has ended, <see cref="OnEndedAsync"/>); after, the pair's, and what is queued bounces.
    /// </summary>
    private void ConnectionFailed(string reason)
    {
        bool negotiated;
        lock (_gate)
        {
            negotiated = _negotiated;
        }

        if (negotiated)
        {
            Fail(StanzaErrorCondition.RemoteServerNotFound, reason);
        }
        else
        {
            _connector.ConnectionFailed(reason);
        }

        CloseGracefully();
    }

    /// <summary>
    /// RFC 6120 §3.2.1, XEP-0368 §3: the connection ended before dialback began, so a new stream takes this one's place in
    /// the manager's table, with its queued stanzas and <c>db:verify</c> questions, and connects to the next point. Not
    /// after a failure of the pair (dialback refused, set-up timeout) nor while the node shuts down.
    /// </summary>
    private bool TryHandOff()
    {
        var successor = new S2sOutStream(Manager, Local, Remote, VerifyOnly, _connector);
        lock (_gate)
        {
            // Under the gate: a stanza enqueued meanwhile either lands in the list handed over, or finds this stream
            // failed and is routed to the successor, which the table holds by then.
            if (_failed || _negotiated || !Manager.ReplaceOutgoing(this, successor))
            {
                return false;
            }

            _failed = true;
            _handedOff = true;
            successor.TakeOver(_pending, _pendingVerifies, _verifyWaiters);
            _pending.Clear();
            _pendingVerifies.Clear();
            _verifyWaiters.Clear();
        }

        _connector.ConnectionFailed("the connection ended before the stream was set up");
        Log.TryingNextTarget(Logger, Local, Remote, _connector.CurrentTarget);
        _ = Task.Run(successor.StartAsync);
        return true;
    }

    private void TakeOver(List<Stanza> pending, List<Element> verifies, Dictionary<string, TaskCompletionSource<DialbackOutcome>> waiters)
    {
        lock (_gate)
        {
            _pending.AddRange(pending);
            _pendingVerifies.AddRange(verifies);
            foreach (var (id, waiter) in waiters)
            {
                _verifyWaiters[id] = waiter;
            }
        }
    }

    /// <summary>Ends the pair's use of this stream: out of the manager's table, verify requests failed, queued stanzas bounced.</summary>
    private void Fail(StanzaErrorCondition condition, string reason)
    {
        List<Stanza> pending;
        List<TaskCompletionSource<DialbackOutcome>> waiters;
        lock (_gate)
        {
            if (_failed)
            {
                return;
            }

            _failed = true;
            pending = [.. _pending];
            _pending.Clear();
            waiters = [.. _verifyWaiters.Values];
            _verifyWaiters.Clear();
        }

        Manager.RemoveOutgoing(this);
        foreach (var waiter in waiters)
        {
            waiter.TrySetResult(DialbackOutcome.Failed);
        }

        if (pending.Count > 0)
        {
            Log.Bouncing(Logger, Local, Remote, pending.Count, reason);
            _ = BounceAllAsync(pending, condition, reason);
        }
    }

    private async Task BounceAllAsync(List<Stanza> stanzas, StanzaErrorCondition condition, string reason)
    {
        foreach (var stanza in stanzas)
        {
            await Manager.Router.BounceAsync(stanza, condition, reason).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask OnEndedAsync(List<Element> unwritten)
    {
        if (TryHandOff())
        {
            // Before dialback no stanza was written to the stream: nothing is unwritten.
            return;
        }

        Fail(StanzaErrorCondition.RemoteServerNotFound, $"The stream to {Remote} ended before it was verified");
        Manager.RemoveOutgoing(this);
        if (unwritten.Count == 0)
        {
            return;
        }

        // Seed 000: never silently lost. The stream is out of the table, so these open a new one (or bounce).
        Log.Rerouting(Logger, Local, Remote, unwritten.Count);
        foreach (var stanza in unwritten)
        {
            if (Jid.TryParse(stanza.GetAttribute("from"), out var from) && Jid.TryParse(stanza.GetAttribute("to"), out var to))
            {
                await Manager.Router.RouteAsync(new Stanza(stanza, from, to)).ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4620, Level = LogLevel.Warning, Message = "S2S {Local} -> {Remote}: cannot connect ({Reason})")]
        public static partial void ConnectFailed(ILogger logger, string local, string remote, string reason);

        [LoggerMessage(EventId = 4621, Level = LogLevel.Warning, Message = "S2S {Local} -> {Remote}: the stream was not verified in time")]
        public static partial void SetupTimedOut(ILogger logger, string local, string remote);

        [LoggerMessage(EventId = 4622, Level = LogLevel.Debug, Message = "S2S {Local} -> {Remote}: TLS established (certificate valid: {Valid})")]
        public static partial void TlsEstablished(ILogger logger, string local, string remote, bool valid);

        [LoggerMessage(EventId = 4623, Level = LogLevel.Warning, Message = "S2S {Local} -> {Remote}: the peer sent stream error {Condition}")]
        public static partial void StreamErrorReceived(ILogger logger, string local, string remote, string condition);

        [LoggerMessage(EventId = 4624, Level = LogLevel.Debug, Message = "S2S {Local} -> {Remote}: ignored <{Name} xmlns='{Namespace}'/>")]
        public static partial void Unexpected(ILogger logger, string local, string remote, string name, string @namespace);

        [LoggerMessage(EventId = 4625, Level = LogLevel.Information, Message = "S2S {Local} -> {Remote}: verified by dialback (TLS: {Secure})")]
        public static partial void Verified(ILogger logger, string local, string remote, bool secure);

        [LoggerMessage(EventId = 4626, Level = LogLevel.Warning, Message = "S2S {Local} -> {Remote}: dialback refused (type {Type})")]
        public static partial void DialbackRefused(ILogger logger, string local, string remote, string type);

        [LoggerMessage(EventId = 4627, Level = LogLevel.Information, Message = "S2S {Local} -> {Remote}: bouncing {Count} queued stanza(s): {Reason}")]
        public static partial void Bouncing(ILogger logger, string local, string remote, int count, string reason);

        [LoggerMessage(EventId = 5312, Level = LogLevel.Information, Message = "S2S {Local} -> {Remote}: {Target} failed before the stream was set up; trying the next connection point")]
        public static partial void TryingNextTarget(ILogger logger, string local, string remote, string target);

        [LoggerMessage(EventId = 4628, Level = LogLevel.Information, Message = "S2S {Local} -> {Remote}: the stream ended with {Count} unwritten stanza(s): routed again")]
        public static partial void Rerouting(ILogger logger, string local, string remote, int count);
    }
}
