using Microsoft.Extensions.Logging;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.4 Re-Enable User.</summary>
internal sealed class ReenableUserCommand(HostRegistry hosts, AccountService accounts, SessionTable sessions, ILogger<AccountStateCommand> logger)
    : AccountStateCommand(hosts, accounts, sessions, logger, disable: false, "reenable-user", "Re-Enable a User", "The Jabber ID(s) to re-enable");
