using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.20 Get List of Online Users: the bare JIDs with a session anywhere in the cluster.</summary>
internal sealed class GetOnlineUsersListCommand(HostRegistry hosts, SessionTable sessions)
    : UserListCommand(hosts, "get-online-users-list", "Get List of Online Users", "onlineuserjids", "The list of all online users")
{
    protected override ValueTask<IEnumerable<string>> UsersAsync(AdHocRequest request) =>
        ValueTask.FromResult<IEnumerable<string>>(OnlineUsers.Of(sessions, request.Host));
}
