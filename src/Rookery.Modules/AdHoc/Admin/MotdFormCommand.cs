using Rookery.Modules.Motd;
using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.24 Set Message of the Day and §4.25 Edit Message of the Day: one form with the text (<c>motd</c>,
/// text-multi, one value per line), which edit fills with the current message. The message greets every later login
/// on any node (<see cref="MotdModule"/>).
/// </summary>
internal abstract class MotdFormCommand(HostRegistry hosts, MessageOfTheDay motd, string name, string title, bool prefill)
    : AdminCommand(hosts, name, title)
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to set the message of the day.");
            var field = form.AddField("motd", "text-multi", "Message of the Day", required: true);
            if (prefill && await motd.GetAsync(request.Host, request.Cancellation).ConfigureAwait(false) is { } current)
            {
                field.Values.AddRange(current.Split('\n'));
            }

            return AdHocStep.Ask(form);
        }

        // text-multi: one value per line (XEP-0004 §3.3).
        var text = string.Join('\n', Submitted(request).Values("motd"));
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "The message is empty; use delete-motd to remove it");
        }

        await motd.SetAsync(request.Host, text, request.Cancellation).ConfigureAwait(false);
        return AdHocStep.Completed(note: "The message of the day is set");
    }
}
