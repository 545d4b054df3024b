namespace Rookery.Server.Modules;

/// <summary>The request types of an iq stanza (RFC 6120 §8.2.3).</summary>
public enum IqType
{
    /// <summary>type='get'</summary>
    Get,
    /// <summary>type='set'</summary>
    Set,
}
