using System.Collections.Concurrent;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.AvatarConversion;

/// <content>
/// Presence broadcast (XEP-0398 §4): the server puts the XEP-0153 hash of the account's avatar into every available
/// presence its clients send, broadcast or directed (a MUC join), in place of what the client put there.
/// </content>
public sealed partial class AvatarConversionModule
{
    // Whether a host converts (see Converts), decided by configuration at start-up and asked on every presence.
    private readonly ConcurrentDictionary<string, bool> _convertingHosts = new(StringComparer.Ordinal);

    private async ValueTask<HookResult> OnOutboundAsync(StanzaHookContext context)
    {
        var stanza = context.Stanza;
        // Available presence only: no type (RFC 6121 §4.7.1); unavailable, probes and subscriptions carry no avatar.
        if (!stanza.IsPresence || stanza.Type is not null)
        {
            return HookResult.Continue;
        }

        var presence = stanza.Element;
        var update = presence.Child("x", UpdateNamespace);
        var photo = update?.Child("photo", UpdateNamespace);
        // §4: a client that sends an empty photo element says it has no avatar to advertise yet; that is left alone.
        if ((photo is not null && photo.Text.Length == 0 && !photo.HasNodes) || !ConvertsHost(stanza.From))
        {
            return HookResult.Continue;
        }

        var hash = await hashes.GetAsync(stanza.From.Bare, context.Cancellation).ConfigureAwait(false);
        if (hash is null && update is null)
        {
            // No avatar and nothing claimed: the presence stays as the client wrote it.
            return HookResult.Continue;
        }

        if (hash is not null && photo is not null && photo.Text == hash)
        {
            // Already right: left untouched, so the received bytes can be forwarded as they are.
            return HookResult.Continue;
        }

        // §4: an x without photo must be overwritten, and one with another hash may be; this server always does (as
        // Prosody does), so that contacts fetch the avatar the vCard really holds. No avatar: an empty photo says so.
        presence.RemoveAll("x", UpdateNamespace);
        var x = presence.AddChild("x", UpdateNamespace);
        var hashElement = x.AddChild("photo");
        if (hash is not null)
        {
            hashElement.SetText(hash);
        }

        return HookResult.Continue;
    }

    private bool ConvertsHost(Jid account) =>
        _convertingHosts.TryGetValue(account.Domain, out var converts) ? converts : _convertingHosts[account.Domain] = Converts(account);
}
