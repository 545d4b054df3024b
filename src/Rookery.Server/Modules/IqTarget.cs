namespace Rookery.Server.Modules;

/// <summary>Which addresses a module's iq handler answers for.</summary>
[Flags]
public enum IqTarget
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>The host itself (<c>to='example.com'</c>).</summary>
    Host = 1,
    /// <summary>
    /// A local account's bare JID, including an iq with no <c>to</c>, which RFC 6120 §10.3.3 says the server handles on
    /// behalf of the sender's account.
    /// </summary>
    Bare = 2,
    /// <summary>
    /// A bare JID of a local host with no such account. Unlike <see cref="Bare"/>, only requests a protocol says must be
    /// answered for accounts that do not exist come here (XEP-0030 §8: disco#items gets an empty result); every other
    /// iq to such an address gets service-unavailable (RFC 6121 §8.5.1).
    /// </summary>
    AbsentAccount = 4,
}
