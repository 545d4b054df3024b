using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Im;
using Rookery.Storage;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.8 Get User Roster: the result form repeats the account (<c>accountjids</c>) and carries the stored
/// roster as a <c>jabber:iq:roster</c> query (RFC 6121 §2.1), items with their names, subscriptions and groups. One
/// account per request: the query of several accounts' rosters in one form could not say whose item is whose.
/// </summary>
internal sealed class GetUserRosterCommand(HostRegistry hosts, AccountService accounts, IRosterStore rosters)
    : AdminCommand(hosts, "get-user-roster", "Get User Roster")
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to get a user's roster.");
            form.AddField("accountjids", "jid-multi", "The Jabber ID(s) for which to retrieve the roster", required: true);
            return AdHocStep.Ask(form);
        }

        var targets = Accounts(Submitted(request), request.Host, "accountjids", allowFull: true).Select(j => j.Bare).Distinct().ToList();
        if (targets.Count > 1)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Ask for one account's roster at a time");
        }

        var account = targets[0];
        if (!await accounts.Store.ExistsAsync(account.Domain, account.Local!, request.Cancellation).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, $"No such account: {account}");
        }

        var roster = await rosters.GetAsync(account.ToString(), request.Cancellation).ConfigureAwait(false);
        var result = NewForm("result");
        result.AddField("accountjids", "jid-multi").Values.Add(account.ToString());
        var query = new Element("query", Ns.Roster);
        foreach (var item in roster.Items)
        {
            query.Add(RosterManager.ToElement(item));
        }

        result.Payloads.Add(query);
        return AdHocStep.Completed(result);
    }
}
