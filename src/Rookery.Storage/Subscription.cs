namespace Rookery.Storage;

/// <summary>The <c>subscription</c> attribute of a roster item (RFC 6121 §2.1.2.5).</summary>
public enum Subscription
{
    /// <summary>Neither side receives the other's presence.</summary>
    None = 0,
    /// <summary>The user receives the contact's presence.</summary>
    To = 1,
    /// <summary>The contact receives the user's presence.</summary>
    From = 2,
    /// <summary>Both directions.</summary>
    Both = 3,
}
