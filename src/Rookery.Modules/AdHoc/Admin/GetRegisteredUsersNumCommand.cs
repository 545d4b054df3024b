using Rookery.Server.Auth;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.13 Get Number of Registered Users: the account store's count for the host, disabled accounts included.</summary>
internal sealed class GetRegisteredUsersNumCommand(HostRegistry hosts, AccountService accounts)
    : UserCountCommand(hosts, "get-registered-users-num", "Get Number of Registered Users", "registeredusersnum", "The number of registered users")
{
    protected override async ValueTask<int> CountAsync(AdHocRequest request) =>
        await accounts.Store.CountAsync(request.Host, request.Cancellation).ConfigureAwait(false);
}
