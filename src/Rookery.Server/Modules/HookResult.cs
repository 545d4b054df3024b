namespace Rookery.Server.Modules;

/// <summary>What a <see cref="StanzaHook"/> decided.</summary>
public enum HookResult
{
    /// <summary>Let the stanza go on to the next hook and then its normal route.</summary>
    Continue,
    /// <summary>The hook took care of the stanza (answered, stored or rejected it); stop here.</summary>
    Handled,
}
