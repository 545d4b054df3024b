using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.VCard;

/// <summary>
/// Runs after a client of <paramref name="owner"/> stored its vCard (ejabberd's <c>vcard_iq_set</c> hook, run here once
/// the vCard is stored, so that a failing handler never loses the user's vCard).
/// </summary>
/// <param name="owner">The account (bare JID).</param>
/// <param name="vcard">The stored vCard, or null when the client cleared it; handlers must not change it.</param>
/// <param name="ct">Cancelled when the client's stream or the server stops.</param>
public delegate ValueTask VCardStoredHandler(Jid owner, Element? vcard, CancellationToken ct);
