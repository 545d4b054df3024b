using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Transport;

namespace Rookery.Server.Streams;

/// <content>STARTTLS (RFC 6120 §5) and direct TLS (XEP-0368): the connection's pipes are swapped for pipes over an <see cref="SslStream"/>.</content>
public sealed partial class C2sStream
{
    private SslStream? _tls;
    private ChannelBinding[] _channelBindings = [];

    // A framed transport (RFC 7395 over wss://) is encrypted below the stream, where STARTTLS cannot reach.
    private bool IsSecure => _tls is not null || _framing is { IsSecure: true };

    /// <summary>Answers <c>&lt;starttls/&gt;</c>; returns true when the read loop must now upgrade the transport.</summary>
    private bool OnStartTls()
    {
        if (IsSecure)
        {
            throw new StreamErrorException(StreamErrorCondition.PolicyViolation, "TLS is already in place");
        }

        if (_framing is not null)
        {
            // RFC 7395 §3.7: over WebSocket TLS is the HTTP connection's (wss://); the stream cannot start it.
            throw new StreamErrorException(StreamErrorCondition.PolicyViolation, "STARTTLS is not available over this transport; use wss://");
        }

        SendElement(new Element("proceed", Ns.Tls));
        return true;
    }

    /// <summary>
    /// Runs after <c>&lt;proceed/&gt;</c>: parks the writer once it has flushed, performs the TLS handshake on the raw
    /// pipes, then resumes with both sides on TLS and a fresh parser (RFC 6120 §5.4.3.3: the stream restarts).
    /// </summary>
    private async Task StartTlsAsync()
    {
        var barrier = new WriterBarrier();
        _outbox.TryWrite(new Outbound(OutboundKind.Barrier, barrier: barrier));
        await barrier.Reached.Task.ConfigureAwait(false);
        try
        {
            await UpgradeToTlsAsync(_domain).ConfigureAwait(false);
        }
        finally
        {
            barrier.Resume.TrySetResult();
        }

        _parser.Reset();
        _state = StreamState.AwaitingHeader;
        Interlocked.Exchange(ref _headerSent, 0);
    }

    private async Task UpgradeToTlsAsync(string? sniDomain)
    {
        var stream = new DuplexPipeStream(_connection.Transport);
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        TlsIdentity? identity = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // STARTTLS already knows the host from the stream header; direct TLS learns it from SNI.
            await tls.AuthenticateAsServerAsync(
                (_, hello, _, _) =>
                {
                    identity = _services.Certificates.GetIdentity(sniDomain ?? hello.ServerName);
                    return ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = identity.Context,
                        ClientCertificateRequired = false,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    });
                },
                null,
                timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            // After a failed handshake no XML can be exchanged any more: the connection just ends.
            throw new ConnectionTeardownException("TLS handshake failed", e);
        }

        _tls = tls;
        _channelBindings = TlsChannelBindings.Read(tls, identity);
        _input = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true));
    }

    private void DisposeTls() => _tls?.Dispose();
}
