namespace Rookery.Server.Modules;

/// <summary>
/// Told that a message for a local account reached no connected client and waits (push notifications, XEP-0357): it was
/// stored offline, or queued for a session whose connection dropped and that waits for resumption (XEP-0198). Runs
/// on the routing path, possibly under a session's or link's lock: it must only look at the message and hand work
/// off, never block or route. The message must not be changed.
/// </summary>
public delegate void MessageWaitingHook(WaitingMessage waiting);
