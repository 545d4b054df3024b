namespace Rookery.Server.Routing;

/// <summary>What the authoritative server said about a dialback key (XEP-0220 §2.1.3, §2.4).</summary>
public enum DialbackOutcome
{
    /// <summary>The key is the authoritative server's: the originating domain is verified.</summary>
    Valid,

    /// <summary>The key is not the authoritative server's.</summary>
    Invalid,

    /// <summary>The authoritative server could not be asked (unreachable, timed out, stream failed).</summary>
    Failed,
}
