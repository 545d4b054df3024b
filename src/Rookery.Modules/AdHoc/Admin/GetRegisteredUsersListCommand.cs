using Rookery.Server.Auth;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.18 Get List of Registered Users: the host's accounts from the account store, disabled ones included.</summary>
internal sealed class GetRegisteredUsersListCommand(HostRegistry hosts, AccountService accounts)
    : UserListCommand(hosts, "get-registered-users-list", "Get List of Registered Users", "registereduserjids", "The list of all registered users")
{
    protected override async ValueTask<IEnumerable<string>> UsersAsync(AdHocRequest request)
    {
        var users = await accounts.Store.ListAsync(request.Host, request.Cancellation).ConfigureAwait(false);
        return users.Select(user => user + "@" + request.Host);
    }
}
