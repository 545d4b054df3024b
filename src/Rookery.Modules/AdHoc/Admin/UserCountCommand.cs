using System.Globalization;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>The count commands of XEP-0133 (§4.13 to §4.17): one stage, whose result holds the number in one field.</summary>
internal abstract class UserCountCommand(HostRegistry hosts, string name, string title, string field, string label) : AdminCommand(hosts, name, title)
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        var result = NewForm("result");
        result.AddField(field, label: label).Values.Add((await CountAsync(request).ConfigureAwait(false)).ToString(CultureInfo.InvariantCulture));
        return AdHocStep.Completed(result);
    }

    /// <summary>The number to report.</summary>
    protected abstract ValueTask<int> CountAsync(AdHocRequest request);
}
