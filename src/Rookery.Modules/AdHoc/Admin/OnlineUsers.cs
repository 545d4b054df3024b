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
