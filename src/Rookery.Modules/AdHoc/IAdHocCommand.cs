using Rookery.Protocol.Addressing;

namespace Rookery.Modules.AdHoc;

/// <summary>
/// One ad-hoc command (XEP-0050) a host offers: its node, its name in the command list, who may run it, and what each
/// stage does. <see cref="AdHocModule"/> handles the protocol (sessions, actions, going back a stage, cancelling).
/// </summary>
public interface IAdHocCommand
{
    /// <summary>The command's node, for example <c>http://jabber.org/protocol/admin#add-user</c>.</summary>
    string Node { get; }

    /// <summary>The human-readable name listed in disco#items (XEP-0050 §2.2).</summary>
    string Name { get; }

    /// <summary>Whether <paramref name="requester"/> may see and run the command on <paramref name="host"/>.</summary>
    bool MayExecute(Jid requester, string host);

    /// <summary>
    /// Runs one stage: the first (stage 0, no form) when the command starts, then once per submitted form. Returns the
    /// next form or the completed result; a refusal is thrown as a <c>StanzaErrorException</c> and leaves the session
    /// open so that the requester can correct the form or cancel.
    /// </summary>
    ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request);
}
