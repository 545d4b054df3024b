namespace Rookery.Storage;

/// <summary>One contact in a roster with its subscription state (RFC 6121 §2.1.2).</summary>
/// <param name="Contact">The contact's bare JID.</param>
/// <param name="Name">The user-assigned name, if any.</param>
/// <param name="Subscription">none, to, from or both.</param>
/// <param name="PendingOut">True while our subscription request to the contact is unanswered (<c>ask='subscribe'</c>).</param>
/// <param name="Groups">The groups the item is in.</param>
public sealed record RosterItem(string Contact, string? Name, Subscription Subscription, bool PendingOut, IReadOnlyList<string> Groups);
