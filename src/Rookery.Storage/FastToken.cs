namespace Rookery.Storage;

/// <summary>
/// A FAST authentication token (XEP-0484) issued to one client installation of an account.
/// </summary>
/// <param name="Owner">The account's bare JID.</param>
/// <param name="UserAgentId">The SASL2 user-agent id (XEP-0388) of the client it was issued to.</param>
/// <param name="Slot">Which of the client's two slots holds it (XEP-0484 §6.1).</param>
/// <param name="Mechanism">The mechanism it was issued for, the only one it may be used with (XEP-0484 §4.4).</param>
/// <param name="Token">The secret token, the HMAC key of the HT mechanisms.</param>
/// <param name="Expires">When it stops being accepted.</param>
public sealed record FastToken(string Owner, string UserAgentId, FastTokenSlot Slot, string Mechanism, string Token, DateTimeOffset Expires);
