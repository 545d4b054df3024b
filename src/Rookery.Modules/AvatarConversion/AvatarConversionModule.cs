using Microsoft.Extensions.Logging;
using Rookery.Modules.Pep;
using Rookery.Modules.VCard;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.AvatarConversion;

/// <summary>
/// User Avatar to vCard-Based Avatars Conversion (XEP-0398), as Prosody's <c>mod_vcard_legacy</c> and ejabberd's
/// <c>mod_avatar</c> do: an avatar a client publishes with XEP-0084 (data, then metadata) becomes the PHOTO of the
/// account's vCard, a vCard stored with a PHOTO is published as the account's XEP-0084 avatar (notified to contacts
/// like any publication), removing one removes the other, and every available presence the account's clients send
/// carries the XEP-0153 hash of the current avatar. Builds on the <c>pep</c> and <c>vcard</c> modules and their storage.
/// </summary>
/// <remarks>
/// A conversion runs after the client's own request is stored, and an image it cannot convert does not fail that
/// request: one that is not base64, does not match its hash, or does not fit the other side's size limit
/// (<c>Modules:VCard:MaxBytes</c>, <c>Modules:Pep:MaxPayloadBytes</c>) is left unconverted and logged. Publications and vCards the conversion itself writes do not
/// come back to it, so it cannot loop. Conversion happens on hosts where this module, <c>pep</c> and <c>vcard</c> are
/// all enabled, which is where the feature is announced. The presence hash is cached per account and node; see
/// <see cref="AvatarHashes"/> for how a cluster keeps it fresh.
/// </remarks>
[Xep(398, "0.2.1", XepStatus.Partial, Note = "Presence is not re-sent when the avatar changes (§5: clients re-send it); with no avatar, a presence without vcard-temp:x:update is left as it is")]
public sealed partial class AvatarConversionModule(
    PepModule pep,
    VCardModule vcards,
    AvatarHashes hashes,
    ILogger<AvatarConversionModule> logger) : IXmppModule
{
    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "avatar_conversion";

    /// <summary>The XEP-0398 feature, announced on every account's bare JID.</summary>
    public const string Feature = "urn:xmpp:pep-vcard-conversion:0";

    /// <summary>The XEP-0153 presence extension namespace.</summary>
    public const string UpdateNamespace = "vcard-temp:x:update";

    /// <summary>
    /// The priority of the presence hook: below blocking (a stopped presence needs no hash), above entity capabilities,
    /// which only reads presence.
    /// </summary>
    public const int HookPriority = -150;

    /// <summary>XEP-0084 §4.6 names the item that disables the avatar <c>current</c>.</summary>
    private const string DisabledItemId = "current";

    private IModuleBuilder? _builder;

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        _builder = builder;
        // XEP-0398 §2: on the account, where the PEP features are.
        builder.AddAccountFeature(Feature);
        builder.Hook(HookPoint.Outbound, HookPriority, OnOutboundAsync);
        pep.OnNodeChanged(OnPepChangedAsync);
        vcards.OnStored(OnVCardStoredAsync);
    }

    /// <summary>Whether avatars of <paramref name="account"/> are converted: this module, PEP and vCard-temp run on its host.</summary>
    private bool Converts(Jid account) =>
        _builder is { } builder && builder.IsEnabled(ModuleName, account.Domain) &&
        builder.IsEnabled(PepModule.ModuleName, account.Domain) && builder.IsEnabled(VCardModule.ModuleName, account.Domain);

    /// <summary>XEP-0398 §3.1: a client published avatar metadata; its image becomes the vCard PHOTO.</summary>
    private async ValueTask OnPepChangedAsync(Jid owner, string node, PepNodeChange change, CancellationToken ct)
    {
        if (node != AvatarImage.MetadataNamespace || change.Payload is not { Name: "metadata", Namespace: AvatarImage.MetadataNamespace } payload ||
            !ConvertsHost(owner))
        {
            return;
        }

        try
        {
            AvatarImage? image = null;
            if (AvatarImage.StoredInfo(payload) is { } info)
            {
                // The data was published first (XEP-0084 §4.1 before §4.2), under the image's hash as item id.
                var id = info.GetAttribute("id")!;
                var data = await pep.GetItemAsync(owner, AvatarImage.DataNamespace, id, ct).ConfigureAwait(false);
                image = data is { } found ? AvatarImage.FromData(found.Payload, info) : null;
                if (image is null)
                {
                    Log.NoData(logger, owner, id);
                    return;
                }
            }

            // No info, or only ones that point elsewhere (XEP-0084 §4.6 disables the avatar): the PHOTO goes.
            await SetPhotoAsync(owner, image, ct).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            Log.Refused(logger, owner, "PEP", e.Condition, e.Text);
        }
        catch (FormatException e)
        {
            Log.NotConverted(logger, owner, "PEP", e.Message);
        }
    }

    /// <summary>Replaces (or, with no image, removes) the PHOTO of the account's vCard, keeping everything else in it.</summary>
    private async Task SetPhotoAsync(Jid owner, AvatarImage? image, CancellationToken ct)
    {
        var vcard = await vcards.GetStoredAsync(owner, ct).ConfigureAwait(false);
        var current = AvatarImage.FromPhoto(vcard);
        if (current?.Hash == image?.Hash && (image is not null || vcard?.Child("PHOTO", VCardModule.Namespace) is null))
        {
            return;
        }

        vcard ??= new Element("vCard", VCardModule.Namespace);
        vcard.RemoveAll("PHOTO", VCardModule.Namespace);
        if (image is not null)
        {
            vcard.Add(image.ToPhoto());
        }

        await vcards.StoreOnBehalfAsync(owner, vcard, ct).ConfigureAwait(false);
        hashes.Changed(owner);
        Log.Converted(logger, owner, "PEP", image?.Hash ?? "none");
    }

    /// <summary>XEP-0398 §3.2: a client stored its vCard; its PHOTO becomes the XEP-0084 avatar (data, then metadata).</summary>
    private async ValueTask OnVCardStoredAsync(Jid owner, Element? vcard, CancellationToken ct)
    {
        if (!ConvertsHost(owner))
        {
            return;
        }

        // The presence hash comes from the vCard, which has just changed whatever happens next.
        hashes.Changed(owner);
        var photo = vcard?.Child("PHOTO", VCardModule.Namespace);
        var image = AvatarImage.FromPhoto(vcard);
        if (photo is not null && image is null)
        {
            // A PHOTO by URL or one that is not base64: nothing to publish, and no reason to take the avatar down.
            Log.NotConverted(logger, owner, "vCard", "the PHOTO has no base64 BINVAL");
            return;
        }

        try
        {
            var metadata = await pep.GetItemAsync(owner, AvatarImage.MetadataNamespace, null, ct).ConfigureAwait(false);
            if (image is null)
            {
                // XEP-0084 §4.6: the avatar is disabled with empty metadata, published only when one was announced.
                if (metadata is { } last && AvatarImage.StoredInfo(last.Payload) is not null)
                {
                    await pep.PublishOnBehalfAsync(owner, AvatarImage.MetadataNamespace, DisabledItemId, new Element("metadata", AvatarImage.MetadataNamespace), PepModule.NoRequirements, ct)
                        .ConfigureAwait(false);
                    Log.Converted(logger, owner, "vCard", "none");
                }

                return;
            }

            // The same image again (a vCard edited for its other fields): already the published avatar.
            if (metadata is { } published && published.Id == image.Hash)
            {
                return;
            }

            await pep.PublishOnBehalfAsync(owner, AvatarImage.DataNamespace, image.Hash, image.ToData(), PepModule.NoRequirements, ct).ConfigureAwait(false);
            await pep.PublishOnBehalfAsync(owner, AvatarImage.MetadataNamespace, image.Hash, image.ToMetadata(), PepModule.NoRequirements, ct).ConfigureAwait(false);
            Log.Converted(logger, owner, "vCard", image.Hash);
        }
        catch (StanzaErrorException e)
        {
            // The image is too large for a PEP item, or the account has too many nodes: the vCard stays as stored.
            Log.Refused(logger, owner, "vCard", e.Condition, e.Text);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5540, Level = LogLevel.Debug, Message = "Converted {Owner}'s avatar from {Source}: {Hash}")]
        public static partial void Converted(ILogger logger, Jid owner, string source, string hash);

        [LoggerMessage(EventId = 5541, Level = LogLevel.Information, Message = "{Owner}'s avatar from {Source} was not converted: {Reason}")]
        public static partial void NotConverted(ILogger logger, Jid owner, string source, string reason);

        [LoggerMessage(EventId = 5542, Level = LogLevel.Information, Message = "{Owner}'s avatar metadata names {Id}, which the data node does not hold with that hash; not converted")]
        public static partial void NoData(ILogger logger, Jid owner, string id);

        [LoggerMessage(EventId = 5543, Level = LogLevel.Information, Message = "{Owner}'s avatar from {Source} was not converted: {Condition} {Text}")]
        public static partial void Refused(ILogger logger, Jid owner, string source, StanzaErrorCondition condition, string? text);

        // Next free EventId: 5544 (AvatarHashes uses 5545–5549).
    }
}
