using Rookery.Protocol.Addressing;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>The online users of a host as the session manager knows them: accounts with at least one bound resource.</summary>
internal static class OnlineUsers
{
    /// <summary>The distinct bare JIDs with a session on <paramref name="host"/>, sorted.</summary>
    public static SortedSet<string> Of(SessionTable sessions, string host)
    {
        var users = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var session in sessions.All())
        {
            if (session.Jid.Domain == host)
            {
                users.Add(session.Jid.Bare.ToString());
            }
        }

        return users;
    }

    /// <summary>
    /// The online users of <paramref name="host"/> that are active (<paramref name="active"/> true) or idle (false).
    /// XEP-0133 §4.16 leaves "active" to the service; here a user is active while one of their resources is available
    /// (RFC 6121 §4.1: it sent initial presence) with no <c>&lt;show/&gt;</c> of <c>away</c> or <c>xa</c>, which is
    /// what clients set after a period of inactivity. Every other online user is idle. Presence is replicated to every
    /// node, so the answer is the same on each node of a cluster.
    /// </summary>
    public static SortedSet<string> Active(SessionTable sessions, string host, bool active)
    {
        var online = Of(sessions, host);
        var busy = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var session in sessions.All())
        {
            if (session.Jid.Domain == host && IsActive(session))
            {
                busy.Add(session.Jid.Bare.ToString());
            }
        }

        if (active)
        {
            return busy;
        }

        online.ExceptWith(busy);
        return online;
    }

    private static bool IsActive(IClientSession session)
    {
        if (!session.IsAvailable || session.Presence is not { } presence)
        {
            return false;
        }

        return presence.Child("show", presence.Namespace)?.Text is not ("away" or "xa");
    }

    /// <summary>Every session (full JID) bound on <paramref name="host"/>.</summary>
    public static List<Jid> SessionsOf(SessionTable sessions, string host)
    {
        var jids = new List<Jid>();
        foreach (var session in sessions.All())
        {
            if (session.Jid.Domain == host)
            {
                jids.Add(session.Jid);
            }
        }

        return jids;
    }
}
