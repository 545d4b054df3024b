using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
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

    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "vcard";

    private const string Kind = "vcard";
    private const string Key = "{" + Namespace + "}vCard";
    private readonly int _maxBytes = options.Value.MaxBytes;

    // Registered at start-up only (from other modules' Configure), read on every set.
    private readonly List<VCardStoredHandler> _stored = [];

    /// <inheritdoc />
    public string Name => ModuleName;

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

        var owner = iq.From.Bare;
        var cleared = XmlDocuments.IsEmpty(iq.Payload);
        await WriteAsync(owner, cleared ? null : iq.Payload, iq.Cancellation).ConfigureAwait(false);
        foreach (var handler in _stored)
        {
            await handler(owner, cleared ? null : iq.Payload, iq.Cancellation).ConfigureAwait(false);
        }

        return IqResult.Empty;
    }

    /// <summary>
    /// Registers a handler run after each vCard a client stores (never after <see cref="StoreOnBehalfAsync"/>, so that a
    /// handler that stores cannot loop). At start-up only.
    /// </summary>
    public void OnStored(VCardStoredHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _stored.Add(handler);
    }

    /// <summary>The stored vCard of an account, or null when it has none.</summary>
    /// <exception cref="FormatException">The stored vCard does not read back.</exception>
    public async Task<Element?> GetStoredAsync(Jid owner, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var xml = await store.GetAsync(owner.Bare.ToString(), Kind, Key, ct).ConfigureAwait(false);
        return xml is null ? null : XmlDocuments.Parse(xml);
    }

    /// <summary>
    /// Replaces an account's vCard (null or empty: removes it) as if the account had set it, within the same size limit
    /// (not-acceptable <see cref="StanzaErrorException"/> beyond it).
    /// </summary>
    public Task StoreOnBehalfAsync(Jid owner, Element? vcard, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return WriteAsync(owner.Bare, vcard is null || XmlDocuments.IsEmpty(vcard) ? null : vcard, ct);
    }

    private async Task WriteAsync(Jid owner, Element? vcard, CancellationToken ct)
    {
        if (vcard is null)
        {
            // An empty vCard reads back the same as none: free the row instead of storing it.
            await store.DeleteAsync(owner.ToString(), Kind, Key, ct).ConfigureAwait(false);
            return;
        }

        var xml = XmlDocuments.Serialize(vcard, _maxBytes);
        // One document per user: replacing it never hits the one-key limit.
        await store.TrySetAsync(owner.ToString(), Kind, Key, xml, 1, ct).ConfigureAwait(false);
    }
}
