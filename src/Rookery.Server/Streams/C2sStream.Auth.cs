using System.Text;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Server.Streams;

/// <content>
/// Stream features and SASL (RFC 6120 §6): SCRAM-SHA-1/256/512 and their -PLUS variants, PLAIN over TLS only. The
/// features carry the stream limits (XEP-0478); SCRAM challenges carry the downgrade protection hash (XEP-0474).
/// </content>
[Xep(474, "0.5.0")]
[Xep(478, "0.2.0", XepStatus.Partial, Note = "Limits are advertised on client streams and incoming server streams; none are sent in XEP-0288 <bidi/>, which Rookery does not do")]
public sealed partial class C2sStream
{
    private const string ChannelBindingNs = "urn:xmpp:sasl-cb:0";
    private const string AnonymousMechanism = "ANONYMOUS";

    /// <summary>The temporary account of a SASL ANONYMOUS login, deleted when its session (or, unbound, the stream) ends.</summary>
    private Jid? _anonymousAccount;
    private ScramServerExchange? _scram;
    private int _failedAttempts;

    private void SendFeatures() => SendElement(BuildFeatures(bound: false));

    /// <summary>
    /// The stream features for the stream's current step; <paramref name="bound"/> for a stream that SASL2 bound or
    /// resumed inline, which must not be offered resource binding again.
    /// </summary>
    private Element BuildFeatures(bool bound)
    {
        var features = new Element("features", Ns.Streams);
        if (_authenticated is null)
        {
            var tlsRequired = _host!.TlsRequired;
            if (!IsSecure && _framing is null)
            {
                var starttls = features.AddChild("starttls", Ns.Tls);
                if (tlsRequired)
                {
                    starttls.AddChild("required", Ns.Tls);
                }
            }

            if ((IsSecure || !tlsRequired) && RegistrationOffered)
            {
                features.AddChild("register", "http://jabber.org/features/iq-register");
            }

            if (IsSecure || !tlsRequired)
            {
                var mechanisms = features.AddChild("mechanisms", Ns.Sasl);
                foreach (var name in OfferedMechanisms())
                {
                    mechanisms.AddChild("mechanism", Ns.Sasl).AddText(name);
                }

                AddSasl2Feature(features);

                if (_channelBindings.Length > 0)
                {
                    // XEP-0440: tell clients which channel-binding types the -PLUS mechanisms accept.
                    var types = features.AddChild("sasl-channel-binding", ChannelBindingNs);
                    foreach (var b in _channelBindings)
                    {
                        types.AddChild("channel-binding", ChannelBindingNs).SetAttribute("type", b.Type);
                    }
                }
            }
        }
        else
        {
            if (!bound)
            {
                features.AddChild("bind", Ns.Bind);
                // RFC 3921 session establishment is a no-op since RFC 6121, but old clients still ask for it.
                features.AddChild("session", Ns.Session).AddChild("optional", Ns.Session);
            }

            foreach (var (name, ns) in _services.Modules.StreamFeaturesFor(_domain!))
            {
                features.AddChild(name, ns);
            }

            foreach (var feature in _services.Modules.StreamFeatureElementsFor(_domain!))
            {
                features.Add(feature.Clone());
            }
        }

        AddStreamLimits(features);
        return features;
    }

    /// <summary>
    /// XEP-0478: the limits the parser enforces (<c>Limits:MaxStanzaBytes</c>, the same number it was built with) and,
    /// once authenticated, the idle watchdog's <c>Watchdog:IdleSeconds</c>. The watchdog looks only at bound streams, so
    /// an unauthenticated stream is told no idle time: it is bounded by the authentication timeout, which is not an idle
    /// timeout.
    /// </summary>
    private void AddStreamLimits(Element features)
    {
        var options = _services.Options;
        int? idle = _authenticated is not null && options.Watchdog.IdleSeconds > 0 ? options.Watchdog.IdleSeconds : null;
        StreamLimitsFeature.AddTo(features, options.Limits.MaxStanzaBytes, idle);
    }

    private IEnumerable<string> OfferedMechanisms()
    {
        if (_channelBindings.Length > 0)
        {
            yield return ScramHash.Sha512.MechanismName(plus: true);
            yield return ScramHash.Sha256.MechanismName(plus: true);
            yield return ScramHash.Sha1.MechanismName(plus: true);
        }

        yield return ScramHash.Sha512.MechanismName(plus: false);
        yield return ScramHash.Sha256.MechanismName(plus: false);
        yield return ScramHash.Sha1.MechanismName(plus: false);
        if (IsSecure || _host!.AllowUnencryptedPlain)
        {
            // PLAIN sends the password itself, so it is offered only inside TLS unless the operator says otherwise.
            yield return "PLAIN";
        }

        if (_services.Anonymous.IsAllowed(_domain!))
        {
            yield return AnonymousMechanism;
        }
    }

    /// <summary>Handles an element before the resource is bound; returns true when STARTTLS must begin.</summary>
    private async ValueTask<bool> HandleNegotiationAsync(Element element)
    {
        if (_state != StreamState.Negotiating)
        {
            throw new StreamErrorException(StreamErrorCondition.NotWellFormed, "Expected a stream header");
        }

        if (_sasl2 is not null && (element.Namespace != Sasl2Authenticate.Namespace || element.Name is not ("response" or "abort")))
        {
            // XEP-0388 §2.5: while authentication is in progress only <response/> or <abort/> may come; anything else
            // disconnects the client.
            throw new StreamErrorException(StreamErrorCondition.PolicyViolation, "Only <response/> or <abort/> may be sent during SASL2 authentication");
        }

        switch (element.Namespace, element.Name)
        {
            case (Ns.Tls, "starttls") when _authenticated is null:
                return OnStartTls();
            case (Ns.Sasl, "auth") when _authenticated is null:
                _saslV2 = false;
                await StartAuthAsync(element.GetAttribute("mechanism"), element.Text).ConfigureAwait(false);
                return false;
            case (Sasl2Authenticate.Namespace, "authenticate") when _authenticated is null && Sasl2Offered:
                await OnAuthenticateAsync(element).ConfigureAwait(false);
                return false;
            case (Sasl2Authenticate.Namespace, "response") when _sasl2 is not null:
                await OnResponseAsync(element).ConfigureAwait(false);
                return false;
            case (Sasl2Authenticate.Namespace, "abort") when _sasl2 is not null:
                _scram = null;
                _pendingUser = null;
                SendElement(SaslFailureElement(SaslFailure.Aborted));
                _sasl2 = null;
                return false;
            case (Ns.Sasl, "response") when _authenticated is null && !_saslV2:
                await OnResponseAsync(element).ConfigureAwait(false);
                return false;
            case (Ns.Sasl, "abort") when _authenticated is null && !_saslV2:
                _scram = null;
                SendElement(SaslFailureElement(SaslFailure.Aborted));
                return false;
            case (Ns.Client, "iq") when _authenticated is not null:
                await OnBindOrSessionIqAsync(element).ConfigureAwait(false);
                return false;
            case (Ns.Client, "iq"):
                await OnPreAuthIqAsync(element).ConfigureAwait(false);
                return false;
            case (StreamManagementNs, "resume") when _authenticated is not null:
                await OnResumeAsync(element).ConfigureAwait(false);
                return false;
            case (StreamManagementNs, "enable"):
                // XEP-0198 §3: enabling needs authentication and a bound resource; the server "SHALL enforce this
                // order and return a <failed/> element in response if the order is violated" (not a stream error).
                SendElement(SmFailed(StanzaErrorCondition.UnexpectedRequest));
                return false;
        }

        // RFC 6120 §6.4.1 / §7.1: nothing but negotiation may happen before a resource is bound.
        throw new StreamErrorException(StreamErrorCondition.NotAuthorized, "Authenticate and bind a resource first");
    }

    /// <summary>Starts a SASL exchange in either profile (RFC 6120 &lt;auth/&gt;, XEP-0388 &lt;authenticate/&gt;).</summary>
    private async ValueTask StartAuthAsync(string? mechanism, string initialResponse)
    {
        if (_host!.TlsRequired && !IsSecure)
        {
            SendElement(SaslFailureElement(SaslFailure.EncryptionRequired));
            return;
        }

        if (mechanism is null || !OfferedMechanisms().Contains(mechanism))
        {
            SendElement(SaslFailureElement(SaslFailure.InvalidMechanism));
            return;
        }

        try
        {
            var initial = DecodeSaslPayload(initialResponse);
            if (mechanism == "PLAIN")
            {
                await PlainAsync(initial).ConfigureAwait(false);
                return;
            }

            if (mechanism == AnonymousMechanism)
            {
                // RFC 4505 §2: the optional trace information is only for logs; nobody is identified by it.
                var account = await _services.Anonymous.CreateAsync(_domain!).ConfigureAwait(false);
                _anonymousAccount = account;
                await SucceedAsync(account, null).ConfigureAwait(false);
                return;
            }

            var plus = mechanism.EndsWith("-PLUS", StringComparison.Ordinal);
            var hash = mechanism.Contains("512", StringComparison.Ordinal) ? ScramHash.Sha512
                : mechanism.Contains("256", StringComparison.Ordinal) ? ScramHash.Sha256
                : ScramHash.Sha1;
            _scram = new ScramServerExchange(hash, plus, _channelBindings)
            {
                // An unknown user's fake challenge must carry the iteration count real accounts get, or it gives them away.
                UnknownUserIterations = _services.Options.Auth.ScramIterations,
                DowngradeProtection = DowngradeProtectionHash(hash),
            };
            var first = _scram.ReadClientFirst(initial);
            var user = TryAccount(first.Username);
            if (first.Authzid is not null && (user is null || !IsSameAccount(first.Authzid, user)))
            {
                throw new SaslException(SaslFailure.InvalidAuthzid);
            }

            var keys = user is null ? null : await _services.Accounts.GetKeysAsync(user, hash).ConfigureAwait(false);
            var challenge = _scram.CreateServerFirst(keys);
            SendElement(new Element("challenge", SaslProfileNs).AddText(Convert.ToBase64String(challenge)));
            _pendingUser = user;
        }
        catch (SaslException e)
        {
            await FailAsync(e.Failure).ConfigureAwait(false);
        }
    }

    private Jid? _pendingUser;

    /// <summary>
    /// XEP-0474: the hash of what this stream's features offered. Both SASL profiles list the same mechanisms
    /// (<see cref="OfferedMechanisms"/>), so one list serves either; the binding types count only when they were
    /// advertised, which <see cref="BuildFeatures"/> does exactly when the connection has any.
    /// </summary>
    private string DowngradeProtectionHash(ScramHash hash) => ScramDowngradeProtection.Compute(
        hash,
        OfferedMechanisms(),
        _channelBindings.Length > 0 ? _channelBindings.Select(b => b.Type) : null);

    private async ValueTask OnResponseAsync(Element response)
    {
        if (_scram is null)
        {
            SendElement(SaslFailureElement(SaslFailure.MalformedRequest));
            _sasl2 = null;
            return;
        }

        try
        {
            var final = _scram.VerifyClientFinal(DecodeSaslPayload(response.Text));
            if (_pendingUser is null)
            {
                throw new SaslException(SaslFailure.NotAuthorized);
            }

            await SucceedAsync(_pendingUser, final).ConfigureAwait(false);
        }
        catch (SaslException e)
        {
            await FailAsync(e.Failure).ConfigureAwait(false);
        }
        finally
        {
            _scram = null;
            _sasl2 = null;
        }
    }

    private async ValueTask PlainAsync(byte[] message)
    {
        var (authzid, authcid, password) = PlainMessage.Parse(message);
        var user = TryAccount(authcid);
        if (user is null || (authzid is not null && !IsSameAccount(authzid, user)))
        {
            throw new SaslException(authzid is not null && user is not null ? SaslFailure.InvalidAuthzid : SaslFailure.NotAuthorized);
        }

        if (!await _services.Accounts.VerifyPasswordAsync(user, password).ConfigureAwait(false))
        {
            throw new SaslException(SaslFailure.NotAuthorized);
        }

        await SucceedAsync(user, null).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends an exchange that proved <paramref name="user"/>'s credentials (password, token or ANONYMOUS), in SASL or SASL2
    /// framing. RFC 6120 §6.5.1: a disabled account (XEP-0133 §4.3) fails here with account-disabled, asked only once the
    /// credentials were proven, so that the failure tells nobody else whether an account is disabled.
    /// </summary>
    /// <exception cref="SaslException">The account is disabled.</exception>
    private async ValueTask SucceedAsync(Jid user, byte[]? additionalData)
    {
        if (!ReferenceEquals(user, _anonymousAccount) && await _services.Accounts.IsDisabledAsync(user).ConfigureAwait(false))
        {
            throw new SaslException(SaslFailure.AccountDisabled);
        }

        if (_saslV2)
        {
            await Sasl2SucceedAsync(user, additionalData).ConfigureAwait(false);
            return;
        }

        _services.Throttle.RecordSuccess(RemoteAddress);
        _authenticated = user;
        var success = new Element("success", Ns.Sasl);
        if (additionalData is not null)
        {
            success.AddText(Convert.ToBase64String(additionalData));
        }

        SendElement(success);
        Log.Authenticated(Logger, _connection.ConnectionId, user);
        // RFC 6120 §6.4.6: after success both sides restart the stream over the same transport.
        _parser.Reset();
        _state = StreamState.AwaitingHeader;
        Interlocked.Exchange(ref _headerSent, 0);
    }

    private async ValueTask FailAsync(SaslFailure failure)
    {
        _scram = null;
        _pendingUser = null;
        _sasl2 = null;
        _failedAttempts++;
        Log.AuthenticationFailed(Logger, _connection.ConnectionId, failure);
        // Answer slowly, slower still for an address that keeps failing, so guessing passwords does not pay.
        await Task.Delay(_services.Throttle.RecordFailure(RemoteAddress), _services.Time).ConfigureAwait(false);
        SendElement(SaslFailureElement(failure));
        if (_failedAttempts >= _services.Options.Auth.MaxAttemptsPerStream)
        {
            throw new StreamErrorException(StreamErrorCondition.PolicyViolation, "Too many failed authentication attempts");
        }
    }

    private Jid? TryAccount(string username)
    {
        try
        {
            return Jid.Create(username, _domain!);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private async ValueTask DeleteAnonymousAccountAsync(Jid account)
    {
        try
        {
            await _services.Anonymous.DeleteAsync(account).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.AnonymousDeleteFailed(Logger, e, account);
        }
    }

    private static bool IsSameAccount(string authzid, Jid user) => Jid.TryParse(authzid, out var z) && z.IsBare && z == user;

    private static byte[] DecodeSaslPayload(string text)
    {
        // RFC 6120 §6.4.2: "=" stands for an empty initial response.
        text = text.Trim();
        if (text.Length == 0 || text == "=")
        {
            return [];
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new SaslException(SaslFailure.IncorrectEncoding);
        }
    }

    /// <summary>The namespace of the current exchange's challenges, outcomes and failures.</summary>
    private string SaslProfileNs => _saslV2 ? Sasl2Authenticate.Namespace : Ns.Sasl;

    private Element SaslFailureElement(SaslFailure failure)
    {
        // XEP-0388 §2.6.2: a SASL2 failure carries the RFC 6120 §6.5 condition, still in the RFC 6120 namespace.
        var e = new Element("failure", SaslProfileNs);
        e.AddChild(failure.ToWireName(), Ns.Sasl);
        return e;
    }
}
