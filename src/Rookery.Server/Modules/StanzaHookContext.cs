using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Server.Modules;

/// <summary>A stanza as a hook sees it; valid only while the hook runs (the server reuses contexts, issue #6).</summary>
public sealed class StanzaHookContext
{
    // One spare context per thread: a stanza's hooks borrow it and give it back when they are done, so routing a message
    // allocates none. A hook that runs while another stanza's hooks hold the spare (a bounce routed from a hook) gets a
    // fresh one; a context given back on another thread than it came from simply becomes that thread's spare.
    [ThreadStatic]
    private static StanzaHookContext? t_spare;

    /// <summary>Creates a context for <paramref name="stanza"/>.</summary>
    /// <param name="stanza">The stanza, its sender and addressee.</param>
    /// <param name="session">
    /// For <see cref="HookPoint.Outbound"/>, the local client session that sent it; for <see cref="HookPoint.Inbound"/>,
    /// null (the recipient's resources are not chosen yet).
    /// </param>
    /// <param name="cancellation">Cancelled when the sender's stream or the server stops.</param>
    public StanzaHookContext(Stanza stanza, ILocalClientSession? session, CancellationToken cancellation)
    {
        Stanza = stanza;
        Session = session;
        Cancellation = cancellation;
    }

    /// <summary>The stanza, its sender and addressee.</summary>
    public Stanza Stanza { get; private set; }

    /// <summary>
    /// For <see cref="HookPoint.Outbound"/>, the local client session that sent it; for <see cref="HookPoint.Inbound"/>,
    /// null (the recipient's resources are not chosen yet).
    /// </summary>
    public ILocalClientSession? Session { get; private set; }

    /// <summary>Cancelled when the sender's stream or the server stops.</summary>
    public CancellationToken Cancellation { get; private set; }

    /// <summary>A context for one run of the hooks, to be given back with <see cref="Return"/> once they finished.</summary>
    internal static StanzaHookContext Rent(Stanza stanza, ILocalClientSession? session, CancellationToken cancellation)
    {
        var context = t_spare;
        if (context is null)
        {
            return new StanzaHookContext(stanza, session, cancellation);
        }

        t_spare = null;
        context.Stanza = stanza;
        context.Session = session;
        context.Cancellation = cancellation;
        return context;
    }

    /// <summary>Gives back a rented context; it must not be used afterwards.</summary>
    internal static void Return(StanzaHookContext context)
    {
        // Cleared so that a spare keeps no stanza or session alive.
        context.Stanza = default;
        context.Session = null;
        context.Cancellation = default;
        t_spare ??= context;
    }
}
