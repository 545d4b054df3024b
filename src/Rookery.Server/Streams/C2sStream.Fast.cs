using System.Globalization;
using System.Security.Cryptography;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Server.Streams;

/// <content>
/// FAST token authentication (XEP-0484) inside SASL2: the HT-SHA-256 mechanisms, and issuing, rotating and
/// invalidating tokens in the &lt;success/&gt; of a SASL2 login.
/// </content>
public sealed partial class C2sStream
{
    /// <summary>The token a FAST login of this stream used; null for a login with any other mechanism.</summary>
    private FastToken? _fastUsed;

    /// <summary>XEP-0484 §8: FAST only over TLS, where the token cannot be read off the wire.</summary>
    private bool FastOffered => IsSecure && Sasl2Offered && _services.Modules.IsEnabled(FastModule.ModuleName, _domain!);

    /// <summary>HT-SHA-256 with each channel binding this connection has, then without (XEP-0484 §4.1).</summary>
    private IEnumerable<string> OfferedFastMechanisms()
    {
        foreach (var binding in _channelBindings)
        {
            if (HashedTokenMechanism.ForChannelBinding(binding.Type) is { } mechanism)
            {
                yield return mechanism;
            }
        }

        yield return HashedTokenMechanism.None;
    }

    private void AddFastFeature(Element inline)
    {
        if (!FastOffered)
        {
            return;
        }

        var fast = inline.AddChild("fast", Sasl2Authenticate.FastNamespace);
        foreach (var mechanism in OfferedFastMechanisms())
        {
            fast.AddChild("mechanism", Sasl2Authenticate.FastNamespace).AddText(mechanism);
        }
    }

    /// <summary>
    /// A login with a FAST token: verifies the client's proof against the tokens of its user agent (the new slot
    /// first, XEP-0484 §6.1), each only for the mechanism it was issued for, and answers with the server's proof.
    /// Failures go through the same slow-down as password failures.
    /// </summary>
    private async ValueTask FastAuthAsync(Sasl2Authenticate request)
    {
        try
        {
            if (!FastOffered || !OfferedFastMechanisms().Contains(request.Mechanism))
            {
                throw new SaslException(SaslFailure.InvalidMechanism);
            }

            var (authcid, proof) = HashedTokenMechanism.ParseInitial(DecodeSaslPayload(request.InitialResponse));
            var user = TryAccount(authcid);
            // XEP-0484 §5.1: tokens belong to a client installation, named by its user-agent id.
            if (user is null || request.UserAgentId is null)
            {
                throw new SaslException(SaslFailure.NotAuthorized);
            }

            var cbType = HashedTokenMechanism.ChannelBindingType(request.Mechanism);
            var cbData = cbType is null ? [] : Array.Find(_channelBindings, b => b.Type == cbType)!.Data;
            var now = _services.Time.GetUtcNow();
            var expired = false;
            foreach (var token in await _services.FastTokens.GetAsync(user.Bare.ToString(), request.UserAgentId, _closing.Token).ConfigureAwait(false))
            {
                // XEP-0484 §4.4: a token works only with the mechanism it was issued for (no downgrade to -NONE).
                if (token.Mechanism != request.Mechanism || !HashedTokenMechanism.Verify(token.Token, cbData, proof))
                {
                    continue;
                }

                if (token.Expires <= now)
                {
                    expired = true;
                    continue;
                }

                _fastUsed = token;
                await SucceedAsync(user, HashedTokenMechanism.Responder(token.Token, cbData)).ConfigureAwait(false);
                return;
            }

            // XEP-0484 §5.2: a token no longer trusted fails with credentials-expired, and the client falls back.
            throw new SaslException(expired ? SaslFailure.CredentialsExpired : SaslFailure.NotAuthorized);
        }
        catch (SaslException e)
        {
            await FailAsync(e.Failure).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The token work of a successful SASL2 login: after a FAST login, promote or invalidate the token used; then issue
    /// a token when the client asked for one, or when the one it used is in the second half of its life (rotation,
    /// XEP-0484 §4.5), adding &lt;token/&gt; to <paramref name="success"/>. The new token goes to the new slot, so the
    /// one the client holds keeps working until it uses the new one.
    /// </summary>
    private async ValueTask HandleFastTokensAsync(Jid user, Sasl2Authenticate request, Element success)
    {
        var used = _fastUsed;
        _fastUsed = null;
        if (request.UserAgentId is not { } agent || _anonymousAccount is not null)
        {
            return;
        }

        var owner = user.Bare.ToString();
        var lifetime = TimeSpan.FromDays(_services.Options.Auth.FastTokenLifetimeDays);
        var now = _services.Time.GetUtcNow();
        string? mechanism = null;
        if (used is not null)
        {
            if (request.InvalidateToken)
            {
                // XEP-0484 §4.6: invalidated at once, and no new token unless one is asked for explicitly.
                await _services.FastTokens.DeleteAsync(owner, agent, _closing.Token).ConfigureAwait(false);
            }
            else
            {
                if (used.Slot == FastTokenSlot.New)
                {
                    // XEP-0484 §4.5: using the new token invalidates the older one.
                    await _services.FastTokens.PromoteAsync(owner, agent, used.Token, _closing.Token).ConfigureAwait(false);
                }

                if (used.Expires - now < lifetime / 2)
                {
                    mechanism = used.Mechanism;
                }
            }
        }

        if (request.RequestToken is { } requested && FastOffered && OfferedFastMechanisms().Contains(requested))
        {
            mechanism = requested;
        }

        if (mechanism is null)
        {
            return;
        }

        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var expires = now + lifetime;
        await _services.FastTokens.SetAsync(new FastToken(owner, agent, FastTokenSlot.New, mechanism, secret, expires), _closing.Token).ConfigureAwait(false);
        success.AddChild("token", Sasl2Authenticate.FastNamespace)
            .SetAttribute("token", secret)
            .SetAttribute("expiry", expires.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture));
    }
}
