using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.23 Send Announcement to Online Users: a message from the host to every session bound on it, routed
/// like any server-generated message (to each full JID, so each resource gets one copy).
/// </summary>
internal sealed class AnnounceCommand(HostRegistry hosts, SessionTable sessions, Router router) : AdminCommand(hosts, "announce", "Send Announcement to Online Users")
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to make an announcement to all active users of this service.");
            form.AddField("subject", "text-single", "Subject");
            form.AddField("announcement", "text-multi", "Announcement", required: true);
            return AdHocStep.Ask(form);
        }

        var submitted = Submitted(request);
        // text-multi: one value per line (XEP-0004 §3.3).
        var body = string.Join('\n', submitted.Values("announcement"));
        if (string.IsNullOrWhiteSpace(body))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "The announcement is empty");
        }

        var subject = submitted.Value("subject");
        var host = Jid.Create(null, request.Host);
        var recipients = OnlineUsers.SessionsOf(sessions, request.Host);
        foreach (var to in recipients)
        {
            var message = new Element("message", Ns.Client).SetAttribute("type", "normal");
            if (subject is not null)
            {
                message.AddChild("subject").AddText(subject);
            }

            message.AddChild("body").AddText(body);
            await router.RouteAsync(message, host, to).ConfigureAwait(false);
        }

        return AdHocStep.Completed(note: string.Create(CultureInfo.InvariantCulture, $"Sent to {recipients.Count} sessions"));
    }
}
