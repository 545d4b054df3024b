using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Server.Streams;

/// <content>Stanzas from a bound client: addressing checks, stamping, and hand-off to presence handling or the router.</content>
public sealed partial class C2sStream
{
    private string? _lastToText; // the last 'to' the client used and its parsed form (see TryParseTo)
    private Jid? _lastTo;

    private async ValueTask HandleStanzaAsync(Element element)
    {
        if (element.Namespace == StreamManagementNs)
        {
            OnStreamManagement(element);
            return;
        }

        if (element.Namespace == ClientStateIndication.Namespace && element.Name is "active" or "inactive"
            && _services.Modules.IsEnabled(ClientStateIndicationModule.ModuleName, _domain!))
        {
            _session!.SetInactive(element.Name == "inactive");
            return;
        }

        if (element.Namespace != Ns.Client || element.Name is not ("message" or "presence" or "iq"))
        {
            throw new StreamErrorException(StreamErrorCondition.UnsupportedStanzaType, $"<{element.Name} xmlns='{element.Namespace}'/> is not supported here");
        }

        var session = _session!;
        try
        {
            await RouteFromClientAsync(session, element).ConfigureAwait(false);
        }
        finally
        {
            // XEP-0198 §4: 'h' counts every stanza the server has handled, whatever the outcome.
            if (session.IsManaged)
            {
                session.CountHandled();
            }
        }
    }

    private async ValueTask RouteFromClientAsync(ClientSession session, Element element)
    {
        var jid = session.Jid;
        // RFC 6120 §8.1.2.1: a 'from' other than the client's own JID is an invalid-from stream error; then stamp it.
        var from = element.GetAttribute("from");
        if (from is not null && (!Jid.TryParse(from, out var claimed) || (claimed != jid && claimed != jid.Bare)))
        {
            throw new StreamErrorException(StreamErrorCondition.InvalidFrom, "The 'from' does not match the bound JID");
        }

        element.SetAttribute("from", jid.ToString());
        var toAttr = element.GetAttribute("to");
        Jid? to = null;
        if (toAttr is not null && !TryParseTo(toAttr, out to))
        {
            await _services.Router.BounceAsync(new Stanza(element, jid, jid.Bare), StanzaErrorCondition.JidMalformed).ConfigureAwait(false);
            return;
        }

        try
        {
            var stanza = new Stanza(element, jid, to ?? jid.Bare);
            var modules = _services.Modules;
            if (modules.HasHooks(HookPoint.Outbound) &&
                await modules.RunHooksAsync(HookPoint.Outbound, jid.Domain, stanza, session, _closing.Token).ConfigureAwait(false) == HookResult.Handled)
            {
                return;
            }

            switch (element.Name)
            {
                case "presence":
                    await _services.Presence.OutboundAsync(session, element, _closing.Token).ConfigureAwait(false);
                    return;
                case "iq":
                    if (!ValidateIq(element, session))
                    {
                        return;
                    }

                    // RFC 3921 §3: old clients address the session request to their server's domain, or to nobody.
                    if ((to is null || (to.IsDomain && to.IsBare && to.Domain == jid.Domain))
                        && element.FirstElement() is { Name: "session", Namespace: Ns.Session })
                    {
                        session.Send(new Element("iq", Ns.Client).SetAttribute("type", "result").SetAttribute("id", element.GetAttribute("id")));
                        return;
                    }

                    break;
            }

            // RFC 6120 §10.3: a message or iq with no 'to' is handled as if addressed to the sender's bare JID.
            await _services.Router.RouteAsync(stanza).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            await _services.Router.BounceAsync(new Stanza(element, jid, to ?? jid.Bare), e.Condition, e.Text).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Parses a 'to' address, remembering the last one: a client mostly writes to the same peer many times in a row, and
    /// preparing a JID (RFC 7622 §3) is the costliest step of routing a message after parsing it (issue #6). Other
    /// addresses come from the node's <see cref="JidCache"/>.
    /// </summary>
    private bool TryParseTo(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Jid? to)
    {
        if (_lastTo is { } last && string.Equals(text, _lastToText, StringComparison.Ordinal))
        {
            to = last;
            return true;
        }

        if (!_services.Jids.TryParse(text, out to))
        {
            return false;
        }

        (_lastToText, _lastTo) = (text, to);
        return true;
    }

    /// <summary>RFC 6120 §8.2.3: an iq has an id, a known type, and get/set carry exactly one payload element.</summary>
    private static bool ValidateIq(Element iq, ClientSession session)
    {
        var type = iq.GetAttribute("type");
        var valid = iq.GetAttribute("id") is not null && type switch
        {
            "get" or "set" => CountElements(iq) == 1,
            "result" => CountElements(iq) <= 1,
            "error" => true,
            _ => false,
        };
        if (!valid && type is not ("result" or "error"))
        {
            var reply = StanzaErrors.BuildReply(iq, StanzaErrorCondition.BadRequest, "Malformed iq");
            reply.SetAttribute("from", null);
            reply.SetAttribute("to", session.Jid.ToString());
            session.Send(reply);
        }

        return valid;
    }

    private static int CountElements(Element e)
    {
        var n = 0;
        foreach (var node in e.Nodes)
        {
            if (node is Element)
            {
                n++;
            }
        }

        return n;
    }
}
