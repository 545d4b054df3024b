using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.21 Get List of Active Users: online users with an active resource (see <see cref="OnlineUsers.Active"/>).</summary>
internal sealed class GetActiveUsersListCommand(HostRegistry hosts, SessionTable sessions)
    : UserListCommand(hosts, "get-active-users", "Get List of Active Users", "activeuserjids", "The list of active users")
{
    protected override ValueTask<IEnumerable<string>> UsersAsync(AdHocRequest request) =>
        ValueTask.FromResult<IEnumerable<string>>(OnlineUsers.Active(sessions, request.Host, active: true));
}
