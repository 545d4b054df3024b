using Microsoft.Extensions.Logging;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.3 Disable User.</summary>
internal sealed class DisableUserCommand(HostRegistry hosts, AccountService accounts, SessionTable sessions, ILogger<AccountStateCommand> logger)
    : AccountStateCommand(hosts, accounts, sessions, logger, disable: true, "disable-user", "Disable a User", "The Jabber ID(s) to disable");
