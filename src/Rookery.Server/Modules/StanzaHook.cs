namespace Rookery.Server.Modules;

/// <summary>
/// Sees a stanza at one point of its way through the server and may stop it there (for example a blocked contact's
/// message). Hooks run in descending priority; the first that returns <see cref="HookResult.Handled"/> ends the chain
/// and the stanza goes no further: the hook has answered or consumed it itself.
/// </summary>
public delegate ValueTask<HookResult> StanzaHook(StanzaHookContext context);
