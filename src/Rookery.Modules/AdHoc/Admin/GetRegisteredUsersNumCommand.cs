using System.Globalization;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.13 Get Number of Registered Users: the account store's count for the host.</summary>
internal sealed class GetRegisteredUsersNumCommand(HostRegistry hosts, AccountService accounts) : AdminCommand(hosts, "get-registered-users-num", "Get Number of Registered Users")
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        var count = await accounts.Store.CountAsync(request.Host, request.Cancellation).ConfigureAwait(false);
        var result = NewForm("result");
        result.AddField("registeredusersnum", label: "The number of registered users").Values.Add(count.ToString(CultureInfo.InvariantCulture));
        return AdHocStep.Completed(result);
    }
}
