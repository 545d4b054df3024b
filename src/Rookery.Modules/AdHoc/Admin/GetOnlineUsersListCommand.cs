using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.20 Get List of Online Users: a first form asks how many at most (<c>max_items</c>), the result lists the
/// bare JIDs with a session, sorted.
/// </summary>
internal sealed class GetOnlineUsersListCommand(HostRegistry hosts, SessionTable sessions) : AdminCommand(hosts, "get-online-users-list", "Get List of Online Users")
{
    private static readonly string[] Limits = ["25", "50", "75", "100", "150", "200", "none"];

    public override ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm();
            var max = form.AddField("max_items", "list-single", "Maximum number of items to show");
            max.Values.Add("100");
            foreach (var limit in Limits)
            {
                max.Options.Add((limit, limit));
            }

            return ValueTask.FromResult(AdHocStep.Ask(form));
        }

        var text = Submitted(request).Value("max_items") ?? "none";
        var limitCount = int.MaxValue;
        if (text != "none" && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limitCount) || limitCount <= 0))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "'max_items' must be a positive number or 'none'");
        }

        var result = NewForm("result");
        var jids = result.AddField("onlineuserjids", "jid-multi", "The list of all online users");
        foreach (var user in OnlineUsers.Of(sessions, request.Host))
        {
            if (jids.Values.Count == limitCount)
            {
                break;
            }

            jids.Values.Add(user);
        }

        return ValueTask.FromResult(AdHocStep.Completed(result));
    }
}
