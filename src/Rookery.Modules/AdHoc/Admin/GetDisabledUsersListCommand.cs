using Rookery.Server.Auth;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.19 Get List of Disabled Users: the host's accounts disabled with <see cref="DisableUserCommand"/>.</summary>
internal sealed class GetDisabledUsersListCommand(HostRegistry hosts, AccountService accounts)
    : UserListCommand(hosts, "get-disabled-users-list", "Get List of Disabled Users", "disableduserjids", "The list of all disabled users")
{
    protected override async ValueTask<IEnumerable<string>> UsersAsync(AdHocRequest request)
    {
        var users = await accounts.Store.ListDisabledAsync(request.Host, request.Cancellation).ConfigureAwait(false);
        return users.Select(user => user + "@" + request.Host);
    }
}
