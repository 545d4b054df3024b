using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.3 Disable User and §4.4 Re-Enable User: one form with the accounts (<c>accountjids</c>), then the flag
/// is stored with the account, in the database every cluster node shares, so that every node refuses the login
/// (SASL account-disabled, RFC 6120 §6.5.1). Disabling also ends every session of the account, on whichever node it
/// is bound (the session table holds the other nodes' sessions too). Nothing else of the account is touched.
/// </summary>
internal abstract partial class AccountStateCommand(HostRegistry hosts, AccountService accounts, SessionTable sessions, ILogger logger, bool disable, string name, string title, string label)
    : AdminCommand(hosts, name, title)
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: $"Fill out this form to {(disable ? "disable" : "re-enable")} a user.");
            form.AddField("accountjids", "jid-multi", label, required: true);
            return AdHocStep.Ask(form);
        }

        // XEP-0133 asks for bare JIDs; a full JID names its account just as well.
        var done = new List<string>();
        var missing = new List<string>();
        foreach (var account in Accounts(Submitted(request), request.Host, "accountjids", allowFull: true).Select(j => j.Bare).Distinct())
        {
            if (!await accounts.SetDisabledAsync(account, disable, request.Cancellation).ConfigureAwait(false))
            {
                missing.Add(account.ToString());
                continue;
            }

            done.Add(account.ToString());
            // An audit trail: who locked whom out, or let them back in.
            Log.Changed(logger, request.Requester, disable ? "disabled" : "re-enabled", account);
            if (disable)
            {
                // §4.3: disabling MUST end the account's active sessions. The flag is stored first, so a client that
                // reconnects at once is refused.
                foreach (var session in sessions.Sessions(account))
                {
                    session.Close(StreamErrorCondition.PolicyViolation, "Your account was disabled by an administrator");
                }
            }
        }

        if (done.Count == 0)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No such account: " + string.Join(", ", missing));
        }

        var step = AdHocStep.Completed(note: (disable ? "Disabled " : "Re-enabled ") + string.Join(", ", done));
        if (missing.Count > 0)
        {
            step.Notes.Add(("error", "No such account: " + string.Join(", ", missing)));
        }

        return step;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5620, Level = LogLevel.Information, Message = "{Admin} {Change} the account {Account} (XEP-0133)")]
        public static partial void Changed(ILogger logger, Jid admin, string change, Jid account);
    }
}
