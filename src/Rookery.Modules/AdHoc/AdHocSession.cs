using Rookery.Protocol.Addressing;

namespace Rookery.Modules.AdHoc;

/// <summary>
/// A command being run in several stages (XEP-0050 §3.4): who runs it, the forms shown so far (the last one is on
/// screen; <c>prev</c> goes back one), and the values the command keeps between stages.
/// </summary>
internal sealed class AdHocSession(string id, Jid requester, IAdHocCommand command, DateTimeOffset now)
{
    /// <summary>Serialises the stages of one session: a client may send the next action before the previous answer.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public string Id => id;

    public Jid Requester => requester;

    public IAdHocCommand Command => command;

    /// <summary>The forms shown, oldest first.</summary>
    public List<AdHocStep> Stages { get; } = [];

    public Dictionary<string, object> State { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset LastUsed { get; set; } = now;
}
