using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// XEP-0133 §4.5 End User Session: closes every session of a bare JID, or the one session of a full JID, with a
/// policy-violation stream error (what ejabberd sends a kicked client).
/// </summary>
internal sealed class EndUserSessionCommand(HostRegistry hosts, SessionTable sessions) : AdminCommand(hosts, "end-user-session", "End User Session")
{
    public override ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to end a user's session.");
            form.AddField("accountjids", "jid-multi", "The Jabber ID(s) for which to end sessions", required: true);
            return ValueTask.FromResult(AdHocStep.Ask(form));
        }

        var ended = 0;
        foreach (var jid in Accounts(Submitted(request), request.Host, "accountjids", allowFull: true))
        {
            if (jid.IsBare)
            {
                foreach (var session in sessions.Sessions(jid))
                {
                    session.Close(StreamErrorCondition.PolicyViolation, "Your session was ended by an administrator");
                    ended++;
                }
            }
            else if (sessions.Find(jid) is { } session)
            {
                session.Close(StreamErrorCondition.PolicyViolation, "Your session was ended by an administrator");
                ended++;
            }
        }

        return ValueTask.FromResult(ended == 0
            ? AdHocStep.Completed(note: "No such session", noteType: "warn")
            : AdHocStep.Completed(note: ended == 1 ? "Ended 1 session" : $"Ended {ended} sessions"));
    }
}
