using Rookery.Server.Auth;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.14 Get Number of Disabled Users: the host's accounts disabled with <see cref="DisableUserCommand"/>.</summary>
internal sealed class GetDisabledUsersNumCommand(HostRegistry hosts, AccountService accounts)
    : UserCountCommand(hosts, "get-disabled-users-num", "Get Number of Disabled Users", "disabledusersnum", "The number of disabled users")
{
    protected override async ValueTask<int> CountAsync(AdHocRequest request) =>
        (await accounts.Store.ListDisabledAsync(request.Host, request.Cancellation).ConfigureAwait(false)).Count;
}
