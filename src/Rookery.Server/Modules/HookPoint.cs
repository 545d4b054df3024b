namespace Rookery.Server.Modules;

/// <summary>Where on a stanza's way a hook runs.</summary>
public enum HookPoint
{
    /// <summary>
    /// A stanza a local client sent, after addressing checks and stamping, before it is routed (blocking of outgoing
    /// stanzas, carbon copies of sent messages, archiving of sent messages). Runs only for modules enabled on the
    /// sender's host.
    /// </summary>
    Outbound,

    /// <summary>
    /// A stanza for a local account, before the session manager picks resources or offline storage (blocking of
    /// incoming stanzas, archiving and stanza ids). Runs only for modules enabled on the recipient's host.
    /// </summary>
    Inbound,
}
