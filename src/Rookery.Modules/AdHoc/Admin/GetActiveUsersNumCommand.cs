using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.16 Get Number of Active Users: online users with an active resource (see <see cref="OnlineUsers.Active"/>).</summary>
internal sealed class GetActiveUsersNumCommand(HostRegistry hosts, SessionTable sessions)
    : UserCountCommand(hosts, "get-active-users-num", "Get Number of Active Users", "activeusersnum", "The number of active users")
{
    protected override ValueTask<int> CountAsync(AdHocRequest request) => ValueTask.FromResult(OnlineUsers.Active(sessions, request.Host, active: true).Count);
}
