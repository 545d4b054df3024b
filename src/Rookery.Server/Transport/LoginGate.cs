namespace Rookery.Server.Transport;

/// <summary>
/// Whether this node takes new client streams. A cluster node closes it while it cannot vouch for its view of the
/// cluster (no database connection) and while it drains; new streams then get <c>see-other-host</c> naming a live node
/// (RFC 6120 §4.9.3.19) or, when there is none to name, <c>system-shutdown</c>. Always open on a single node.
/// </summary>
public sealed class LoginGate
{
    private volatile State _state = State.Open;

    /// <summary>True while new streams are accepted.</summary>
    public bool IsOpen => _state.Reason is null;

    /// <summary>Why new streams are refused, or null while the gate is open.</summary>
    public string? Reason => _state.Reason;

    /// <summary>The <c>host:port</c> refused clients are sent to, or null.</summary>
    public string? RedirectTo => _state.RedirectTo;

    /// <summary>Accepts new streams again.</summary>
    public void Open() => _state = State.Open;

    /// <summary>Refuses new streams, sending clients to <paramref name="redirectTo"/> when one is given.</summary>
    public void Close(string reason, string? redirectTo)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        _state = new State(reason, redirectTo);
    }

    /// <summary>One immutable state, swapped atomically so that the reason and the redirect always belong together.</summary>
    private sealed record State(string? Reason, string? RedirectTo)
    {
        public static readonly State Open = new(null, null);
    }
}
