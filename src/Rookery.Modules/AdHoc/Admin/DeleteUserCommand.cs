using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.2 Delete User: deletes accounts and everything stored for them with <see cref="AccountService"/> (as
/// <c>rookery user delete</c> does) and ends their sessions. The first form may be completed at once, as the XEP shows,
/// or go on (<c>next</c>) to a confirmation stage that lists which accounts exist, from which <c>prev</c> goes back.
/// </summary>
internal sealed class DeleteUserCommand(HostRegistry hosts, AccountService accounts, SessionTable sessions) : AdminCommand(hosts, "delete-user", "Delete a User")
{
    private const string Chosen = "accountjids";

    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to delete a user.");
            form.AddField("accountjids", "jid-multi", "The Jabber ID(s) to delete", required: true);
            return AdHocStep.Ask(form, AdHocAction.Next | AdHocAction.Complete, AdHocAction.Complete);
        }

        List<Jid> targets;
        if (request.Stage == 1)
        {
            // XEP-0133 asks for bare JIDs; a full JID names its account just as well.
            targets = Accounts(Submitted(request), request.Host, "accountjids", allowFull: true).Select(j => j.Bare).Distinct().ToList();
            if (request.Action == AdHocAction.Next)
            {
                request.State[Chosen] = targets;
                return await ConfirmAsync(request, targets).ConfigureAwait(false);
            }
        }
        else
        {
            if (Submitted(request).Value("confirm") is not ("1" or "true"))
            {
                throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Tick 'confirm' to delete, or cancel");
            }

            targets = (List<Jid>)request.State[Chosen];
        }

        var deleted = new List<string>();
        var missing = new List<string>();
        foreach (var account in targets)
        {
            if (await accounts.DeleteAsync(account, request.Cancellation).ConfigureAwait(false))
            {
                deleted.Add(account.ToString());
            }
            else
            {
                missing.Add(account.ToString());
            }

            // XEP-0077 §3.2 does the same for a user who removes their own account: no session outlives its account.
            foreach (var session in sessions.Sessions(account))
            {
                session.Close(StreamErrorCondition.NotAuthorized, "The account was removed");
            }
        }

        var step = AdHocStep.Completed();
        if (deleted.Count > 0)
        {
            step.Notes.Add(("info", "Deleted " + string.Join(", ", deleted)));
        }

        if (missing.Count > 0)
        {
            step.Notes.Add(("warn", "No such account: " + string.Join(", ", missing)));
        }

        return step;
    }

    private async ValueTask<AdHocStep> ConfirmAsync(AdHocRequest request, List<Jid> targets)
    {
        var form = NewForm(instructions: "These accounts and everything stored for them will be deleted.");
        var list = form.AddField("accountjids", "jid-multi", "Accounts to delete");
        foreach (var account in targets)
        {
            var exists = await accounts.Store.GetCredentialsAsync(account.Domain, account.Local!, request.Cancellation).ConfigureAwait(false) is not null;
            list.Values.Add(account.ToString());
            if (!exists)
            {
                form.AddField(null, "fixed").Values.Add($"{account} does not exist");
            }
        }

        form.AddField("confirm", "boolean", "Delete them", required: true).Values.Add("0");
        return AdHocStep.Ask(form);
    }
}
