using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.10 Get User Statistics: for one account (<c>accountjid</c>, jid-single as the XEP shows), the statistics
/// of the XEP's example that Rookery knows: <c>rostersize</c> and <c>onlineresources</c> (on every cluster node). It
/// keeps no traffic counters or client addresses, so <c>ipaddresses</c>, <c>stanzaspersecond</c> and
/// <c>loginsperminute</c> are left out rather than reported as made-up numbers.
/// </summary>
internal sealed class UserStatsCommand(HostRegistry hosts, AccountService accounts, IRosterStore rosters, SessionTable sessions)
    : AdminCommand(hosts, "user-stats", "Get User Statistics")
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to gather user statistics.");
            form.AddField("accountjid", "jid-single", "The Jabber ID for statistics", required: true);
            return AdHocStep.Ask(form);
        }

        var account = Account(Submitted(request).Value("accountjid"), request.Host, "accountjid", allowFull: true).Bare;
        if (!await accounts.Store.ExistsAsync(account.Domain, account.Local!, request.Cancellation).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, $"No such account: {account}");
        }

        var roster = await rosters.GetAsync(account.ToString(), request.Cancellation).ConfigureAwait(false);
        var result = NewForm("result");
        result.AddField("accountjid", "jid-single").Values.Add(account.ToString());
        result.AddField("rostersize", "text-single", "Roster size").Values.Add(roster.Items.Count.ToString(CultureInfo.InvariantCulture));
        var resources = result.AddField("onlineresources", "text-multi", "Online resources");
        foreach (var session in sessions.Sessions(account).OrderBy(s => s.Jid.Resource, StringComparer.Ordinal))
        {
            resources.Values.Add(session.Jid.Resource!);
        }

        return AdHocStep.Completed(result);
    }
}
