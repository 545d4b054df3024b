namespace Rookery.Modules.Muc;

/// <summary>Who may see occupants' real JIDs (<c>muc#roomconfig_whois</c>, XEP-0045 §4.1 on anonymity).</summary>
public enum MucWhois
{
    /// <summary>Semi-anonymous: only moderators see real JIDs.</summary>
    Moderators = 0,

    /// <summary>Non-anonymous: every occupant sees real JIDs.</summary>
    Anyone = 1,
}
