using System.Text;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Streams;

/// <content>Stream features and SASL (RFC 6120 §6): SCRAM-SHA-1/256/512 and their -PLUS variants, PLAIN over TLS only.</content>
public sealed partial class C2sStream
{
    private const string ChannelBindingNs = "urn:xmpp:sasl-cb:0";
    private const string AnonymousMechanism = "ANONYMOUS";

    /// <summary>The temporary account of a SASL ANONYMOUS login, deleted when its session (or, unbound, the stream) ends.</summary>
    private Jid? _anonymousAccount;
    private ScramServerExchange? _scram;
    private int _failedAttempts;

    private void SendFeatures()
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
            features.AddChild("bind", Ns.Bind);
            // RFC 3921 session establishment is a no-op since RFC 6121, but old clients still ask for it.
            features.AddChild("session", Ns.Session).AddChild("optional", Ns.Session);
            foreach (var (name, ns) in _services.Modules.StreamFeaturesFor(_domain!))
            {
                features.AddChild(name, ns);
            }

            foreach (var feature in _services.Modules.StreamFeatureElementsFor(_domain!))
            {
                features.Add(feature.Clone());
            }
        }

        SendElement(features);
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

        switch (element.Namespace, element.Name)
        {
            case (Ns.Tls, "starttls") when _authenticated is null:
                return OnStartTls();
            case (Ns.Sasl, "auth") when _authenticated is null:
                await OnAuthAsync(element).ConfigureAwait(false);
                return false;
            case (Ns.Sasl, "response") when _authenticated is null:
                await OnResponseAsync(element).ConfigureAwait(false);
                return false;
            case (Ns.Sasl, "abort") when _authenticated is null:
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

    private async ValueTask OnAuthAsync(Element auth)
    {
        if (_host!.TlsRequired && !IsSecure)
        {
            SendElement(SaslFailureElement(SaslFailure.EncryptionRequired));
            return;
        }

        var mechanism = auth.GetAttribute("mechanism");
        if (mechanism is null || !OfferedMechanisms().Contains(mechanism))
        {
            SendElement(SaslFailureElement(SaslFailure.InvalidMechanism));
            return;
        }

        try
        {
            var initial = DecodeSaslPayload(auth.Text);
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
                Succeed(account, null);
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
            };
            var first = _scram.ReadClientFirst(initial);
            var user = TryAccount(first.Username);
            if (first.Authzid is not null && (user is null || !IsSameAccount(first.Authzid, user)))
            {
                throw new SaslException(SaslFailure.InvalidAuthzid);
            }

            var keys = user is null ? null : await _services.Accounts.GetKeysAsync(user, hash).ConfigureAwait(false);
            var challenge = _scram.CreateServerFirst(keys);
            SendElement(new Element("challenge", Ns.Sasl).AddText(Convert.ToBase64String(challenge)));
            _pendingUser = user;
        }
        catch (SaslException e)
        {
            await FailAsync(e.Failure).ConfigureAwait(false);
        }
    }

    private Jid? _pendingUser;

    private async ValueTask OnResponseAsync(Element response)
    {
        if (_scram is null)
        {
            SendElement(SaslFailureElement(SaslFailure.MalformedRequest));
            return;
        }

        try
        {
            var final = _scram.VerifyClientFinal(DecodeSaslPayload(response.Text));
            if (_pendingUser is null)
            {
                throw new SaslException(SaslFailure.NotAuthorized);
            }

            await ThrowIfDisabledAsync(_pendingUser).ConfigureAwait(false);
            Succeed(_pendingUser, final);
        }
        catch (SaslException e)
        {
            await FailAsync(e.Failure).ConfigureAwait(false);
        }
        finally
        {
            _scram = null;
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

        await ThrowIfDisabledAsync(user).ConfigureAwait(false);
        Succeed(user, null);
    }

    /// <summary>
    /// RFC 6120 §6.5.1: a disabled account (XEP-0133 §4.3) fails with account-disabled. Asked only once the password
    /// was proven, so that the failure tells nobody else whether an account is disabled.
    /// </summary>
    private async ValueTask ThrowIfDisabledAsync(Jid user)
    {
        if (await _services.Accounts.IsDisabledAsync(user).ConfigureAwait(false))
        {
            throw new SaslException(SaslFailure.AccountDisabled);
        }
    }

    private void Succeed(Jid user, byte[]? additionalData)
    {
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

    private static Element SaslFailureElement(SaslFailure failure)
    {
        var e = new Element("failure", Ns.Sasl);
        e.AddChild(failure.ToWireName(), Ns.Sasl);
        return e;
    }
}
