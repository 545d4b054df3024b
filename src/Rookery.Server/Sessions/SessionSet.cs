using Rookery.Protocol.Addressing;

namespace Rookery.Server.Sessions;

/// <summary>
/// The sessions of one account: an immutable array swapped atomically on bind and unbind, so that routing reads it
/// without locks (the snapshot pattern of the style guide).
/// </summary>
internal sealed class SessionSet(IClientSession[] sessions)
{
    public static readonly SessionSet Empty = new([]);

    public IClientSession[] Sessions { get; } = sessions;

    public IClientSession? Find(Jid full)
    {
        foreach (var s in Sessions)
        {
            if (s.Jid == full)
            {
                return s;
            }
        }

        return null;
    }

    public SessionSet With(IClientSession session)
    {
        var copy = new IClientSession[Sessions.Length + 1];
        Sessions.CopyTo(copy, 0);
        copy[^1] = session;
        return new SessionSet(copy);
    }

    public SessionSet Without(IClientSession session)
    {
        var i = Array.IndexOf(Sessions, session);
        if (i < 0)
        {
            return this;
        }

        if (Sessions.Length == 1)
        {
            return Empty;
        }

        var copy = new IClientSession[Sessions.Length - 1];
        Array.Copy(Sessions, 0, copy, 0, i);
        Array.Copy(Sessions, i + 1, copy, i, Sessions.Length - i - 1);
        return new SessionSet(copy);
    }
}
