using System.Globalization;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.15 Get Number of Online Users: accounts with at least one session, counted from the session table.</summary>
internal sealed class GetOnlineUsersNumCommand(HostRegistry hosts, SessionTable sessions) : AdminCommand(hosts, "get-online-users-num", "Get Number of Online Users")
{
    public override ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        var result = NewForm("result");
        result.AddField("onlineusersnum", label: "The number of online users").Values.Add(
            OnlineUsers.Of(sessions, request.Host).Count.ToString(CultureInfo.InvariantCulture));
        return ValueTask.FromResult(AdHocStep.Completed(result));
    }
}
