using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.22 Get List of Idle Users: online users without an active resource (see <see cref="OnlineUsers.Active"/>).</summary>
internal sealed class GetIdleUsersListCommand(HostRegistry hosts, SessionTable sessions)
    : UserListCommand(hosts, "get-idle-users", "Get List of Idle Users", "idleuserjids", "The list of idle users")
{
    protected override ValueTask<IEnumerable<string>> UsersAsync(AdHocRequest request) =>
        ValueTask.FromResult<IEnumerable<string>>(OnlineUsers.Active(sessions, request.Host, active: false));
}
