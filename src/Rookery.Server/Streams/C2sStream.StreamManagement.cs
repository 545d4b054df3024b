using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Server.Streams;

/// <content>
/// Stream management (XEP-0198): enabling, acknowledgements in both directions, and resumption of a session whose
/// connection dropped. The session keeps every stanza until the client acknowledges it.
/// </content>
public sealed partial class C2sStream
{
    /// <summary>The XEP-0198 namespace.</summary>
    public const string StreamManagementNs = "urn:xmpp:sm:3";

    private bool StreamManagementOffered => _services.Modules.IsEnabled(StreamManagementModule.ModuleName, _domain!);

    private void OnStreamManagement(Element element)
    {
        var session = _session!;
        switch (element.Name)
        {
            case "enable":
                SendElement(EnableManagement(session, element));
                return;

            case "r":
                SendElement(new Element("a", StreamManagementNs).SetAttribute("h", session.Handled.ToString(CultureInfo.InvariantCulture)));
                return;

            case "a":
                if (!TryParseH(element, out var h) || !session.Acknowledge(h))
                {
                    // XEP-0198 §4: acknowledging stanzas that were never sent is a protocol violation.
                    throw new StreamErrorException(StreamErrorCondition.UndefinedCondition, "The acknowledgement covers stanzas that were never sent");
                }

                return;

            default:
                throw new StreamErrorException(StreamErrorCondition.UnsupportedStanzaType, $"<{element.Name} xmlns='{StreamManagementNs}'/> is not supported");
        }
    }

    /// <summary>
    /// Enables stream management on <paramref name="session"/> as <paramref name="enable"/> asks and returns the answer:
    /// &lt;enabled/&gt;, or &lt;failed/&gt; when the host does not offer it or it is already on. Shared by the
    /// top-level request and the one inline in a Bind 2 request (XEP-0386 §3.2), which answers inside &lt;bound/&gt;.
    /// </summary>
    private Element EnableManagement(ClientSession session, Element enable)
    {
        if (!StreamManagementOffered || session.IsManaged)
        {
            return SmFailed(StanzaErrorCondition.UnexpectedRequest);
        }

        var resume = enable.GetAttribute("resume") is "true" or "1";
        // A temporary ANONYMOUS account cannot sign in again to resume (every login gets a new one), so its
        // session is not kept waiting: XEP-0198 §5 lets the server decline resumption.
        var id = resume && !session.IsAnonymous ? _services.Lifecycle.MakeResumable(session) : null;
        session.EnableManagement(id);
        var enabled = new Element("enabled", StreamManagementNs);
        if (id is not null)
        {
            enabled.SetAttribute("id", id).SetAttribute("resume", "true")
                .SetAttribute("max", ((int)_services.Lifecycle.ResumeTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        return enabled;
    }

    /// <summary>Resumes a detached (or not yet detached) session of the same account on this connection (XEP-0198 §5).</summary>
    private async ValueTask OnResumeAsync(Element resume)
    {
        var previd = resume.GetAttribute("previd");
        var validRequest = TryParseH(resume, out var h) && previd is not null && StreamManagementOffered;
        // The id names the owning node (ResumptionTokens): in a cluster the session may be fetched from there first.
        var session = validRequest ? await _services.Lifecycle.FindResumableAsync(previd!, _authenticated!, _closing.Token).ConfigureAwait(false) : null;
        if (session is null)
        {
            SendElement(SmFailed(StanzaErrorCondition.ItemNotFound));
            return;
        }

        var resumed = new Element("resumed", StreamManagementNs)
            .SetAttribute("previd", previd)
            .SetAttribute("h", session.Handled.ToString(CultureInfo.InvariantCulture));
        if (!session.TryAttach(this, h, resumed, out var previous))
        {
            SendElement(SmFailed(StanzaErrorCondition.ItemNotFound));
            return;
        }

        _session = session;
        _state = StreamState.Bound;
        Log.Resumed(Logger, _connection.ConnectionId, session.Jid);
        previous?.CloseStream(StreamErrorCondition.Conflict, "The session was resumed on another connection");
    }

    private static bool TryParseH(Element element, out uint h) =>
        uint.TryParse(element.GetAttribute("h"), NumberStyles.None, CultureInfo.InvariantCulture, out h);

    private static Element SmFailed(StanzaErrorCondition condition)
    {
        var failed = new Element("failed", StreamManagementNs);
        failed.AddChild(condition.ToWireName(), Ns.StanzaErrors);
        return failed;
    }
}
