using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// The list commands of XEP-0133 (§4.18 to §4.22): a first form asks how many JIDs to show at most (<c>max_items</c>,
/// with the options the XEP shows), the result lists that many bare JIDs, sorted, in one jid-multi field.
/// </summary>
internal abstract class UserListCommand(HostRegistry hosts, string name, string title, string field, string label) : AdminCommand(hosts, name, title)
{
    private static readonly string[] Limits = ["25", "50", "75", "100", "150", "200", "none"];

    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
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

            return AdHocStep.Ask(form);
        }

        var text = Submitted(request).Value("max_items") ?? "none";
        var limitCount = int.MaxValue;
        if (text != "none" && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limitCount) || limitCount <= 0))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "'max_items' must be a positive number or 'none'");
        }

        var result = NewForm("result");
        var jids = result.AddField(field, "jid-multi", label);
        foreach (var user in await UsersAsync(request).ConfigureAwait(false))
        {
            if (jids.Values.Count == limitCount)
            {
                break;
            }

            jids.Values.Add(user);
        }

        return AdHocStep.Completed(result);
    }

    /// <summary>The bare JIDs to list, sorted ordinally.</summary>
    protected abstract ValueTask<IEnumerable<string>> UsersAsync(AdHocRequest request);
}
