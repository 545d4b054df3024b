using Rookery.Modules.AdHoc.Admin;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Modules.Tests.AdHoc;

public sealed class OnlineUsersTests
{
    [Fact]
    public void Active_AvailableWithoutAwayOrXa_OthersIdle_OtherHostsIgnored()
    {
        var sessions = new SessionTable();
        Bind(sessions, "chatty@example.org/a", "");
        Bind(sessions, "busy@example.org/a", "dnd");
        Bind(sessions, "away@example.org/a", "away");
        Bind(sessions, "gone@example.org/a", "xa");
        Bind(sessions, "silent@example.org/a", null);
        // One active resource makes the user active, however idle the others are.
        Bind(sessions, "mixed@example.org/phone", "xa");
        Bind(sessions, "mixed@example.org/desk", "chat");
        Bind(sessions, "elsewhere@other.example/a", "");

        OnlineUsers.Active(sessions, "example.org", active: true).Should().Equal("busy@example.org", "chatty@example.org", "mixed@example.org");
        OnlineUsers.Active(sessions, "example.org", active: false).Should().Equal("away@example.org", "gone@example.org", "silent@example.org");
        OnlineUsers.Of(sessions, "example.org").Should().HaveCount(6);
    }

    private static void Bind(SessionTable sessions, string jid, string? show)
    {
        var session = new FakeSession(Jid.Parse(jid));
        if (show is not null)
        {
            // null: no initial presence yet; empty: available without <show/>.
            var presence = new Element("presence", Ns.Client);
            if (show.Length > 0)
            {
                presence.AddChild("show").AddText(show);
            }

            session.SetPresence(presence, 0);
        }

        sessions.Bind(session);
    }
}
