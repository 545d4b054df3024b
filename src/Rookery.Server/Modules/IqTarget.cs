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
}
