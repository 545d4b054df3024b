using Microsoft.Extensions.Options;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.VCard;

/// <summary>
/// vCard-temp (XEP-0054): a user stores a vCard on their own bare JID, and anyone may read the vCard of an existing
/// account; a user without one reads an empty vCard of their own, and others get the error a missing account gives.
/// </summary>
[Xep(54, "1.2")]
public sealed class VCardModule(IUserDataStore store, IOptions<VCardOptions> options) : IXmppModule
{
    /// <summary>The XEP-0054 namespace.</summary>
    public const string Namespace = "vcard-temp";

    private const string Kind = "vcard";
    private const string Key = "{" + Namespace + "}vCard";
    private readonly int _maxBytes = options.Value.MaxBytes;

    /// <inheritdoc />
    public string Name => "vcard";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "vCard", GetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "vCard", SetAsync);
    }

    private async ValueTask<IqResult> GetAsync(IqContext iq)
    {
        var xml = await store.GetAsync(iq.To.Bare.ToString(), Kind, Key, iq.Cancellation).ConfigureAwait(false);
        if (xml is not null)
        {
            return IqResult.With(XmlDocuments.Parse(xml));
        }

        // XEP-0054 §3.1: the user's own missing vCard reads as an empty one (the alternative, item-not-found, trips up
        // many clients). §3.3: another user's missing vCard is an error, the same one the router gives for an account
        // that does not exist (service-unavailable), so that the answer does not tell which accounts exist.
        return iq.IsSelf
            ? IqResult.With(new Element("vCard", Namespace))
            : throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable);
    }

    private async ValueTask<IqResult> SetAsync(IqContext iq)
    {
        // XEP-0054 §3.2: a user may update only their own vCard.
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        var owner = iq.From.Bare.ToString();
        if (XmlDocuments.IsEmpty(iq.Payload))
        {
            // An empty vCard reads back the same as none: free the row instead of storing it.
            await store.DeleteAsync(owner, Kind, Key, iq.Cancellation).ConfigureAwait(false);
            return IqResult.Empty;
        }

        var xml = XmlDocuments.Serialize(iq.Payload, _maxBytes);
        // One document per user: replacing it never hits the one-key limit.
        await store.TrySetAsync(owner, Kind, Key, xml, 1, iq.Cancellation).ConfigureAwait(false);
        return IqResult.Empty;
    }
}
