using Rookery.Modules.Motd;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.26 Delete Message of the Day: one stage; later logins are no longer greeted.</summary>
internal sealed class DeleteMotdCommand(HostRegistry hosts, MessageOfTheDay motd) : AdminCommand(hosts, "delete-motd", "Delete Message of the Day")
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        await motd.SetAsync(request.Host, null, request.Cancellation).ConfigureAwait(false);
        return AdHocStep.Completed(note: "The message of the day is deleted");
    }
}
