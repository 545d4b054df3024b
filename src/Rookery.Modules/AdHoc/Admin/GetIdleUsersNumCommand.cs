using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.17 Get Number of Idle Users: online users without an active resource (see <see cref="OnlineUsers.Active"/>).</summary>
internal sealed class GetIdleUsersNumCommand(HostRegistry hosts, SessionTable sessions)
    : UserCountCommand(hosts, "get-idle-users-num", "Get Number of Idle Users", "idleusersnum", "The number of idle users")
{
    protected override ValueTask<int> CountAsync(AdHocRequest request) => ValueTask.FromResult(OnlineUsers.Active(sessions, request.Host, active: false).Count);
}
