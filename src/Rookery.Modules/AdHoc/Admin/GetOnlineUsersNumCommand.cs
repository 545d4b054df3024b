using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.15 Get Number of Online Users: accounts with at least one session, counted from the session table.</summary>
internal sealed class GetOnlineUsersNumCommand(HostRegistry hosts, SessionTable sessions)
    : UserCountCommand(hosts, "get-online-users-num", "Get Number of Online Users", "onlineusersnum", "The number of online users")
{
    protected override ValueTask<int> CountAsync(AdHocRequest request) => ValueTask.FromResult(OnlineUsers.Of(sessions, request.Host).Count);
}
