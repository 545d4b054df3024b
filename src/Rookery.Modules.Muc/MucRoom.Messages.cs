using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>Groupchat messages, private messages and the subject (XEP-0045 §7.4, §7.5, §8.1).</summary>
internal sealed partial class MucRoom
{
    private async ValueTask OnMessageAsync(Element message, Jid from, Jid to, CancellationToken ct)
    {
        var type = message.GetAttribute("type");
        if (type == "error")
        {
            // §7.9 (Prosody, ejabberd): an occupant whose client bounces the room's messages is gone; remove it.
            if (to.Resource is null && FindOccupant(from) is { } gone)
            {
                await RemoveOccupantAsync(gone, new PresenceNotice { Unavailable = true });
            }

            return;
        }

        if (to.Resource is not null)
        {
            await PrivateMessageAsync(message, from, to);
            return;
        }

        if (type == "groupchat")
        {
            await GroupchatAsync(message, from, ct);
            return;
        }

        // §7.13 and §8.6: a voice request, or a moderator's approval of one.
        if (VoiceRequestForm(message) is { } voiceForm)
        {
            await OnVoiceFormAsync(voiceForm, from);
            return;
        }

        // A normal message to the room carries invitations or declines (§7.8.2).
        if (message.Child("x", MucNs.User) is { } userX)
        {
            await InviteOrDeclineAsync(userX, from, ct);
            return;
        }

        throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Send groupchat messages to the room, or invitations in <x xmlns='" + MucNs.User + "'/>");
    }

    /// <summary>§7.4: broadcast to every occupant, including the sender, from the sender's room JID.</summary>
    private async ValueTask GroupchatAsync(Element message, Jid from, CancellationToken ct)
    {
        var sender = FindOccupant(from)
            ?? throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Only occupants may send messages to the room");
        var subject = message.Child("subject", message.Namespace);
        var hasBody = message.Child("body", message.Namespace) is not null;
        if (subject is not null && !hasBody)
        {
            // §8.1: moderators may change the subject; participants only when the room allows it.
            var allowed = sender.Role == MucRole.Moderator || (Config.ChangeSubject && sender.Role >= MucRole.Participant);
            if (!allowed)
            {
                throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You may not change the subject of this room");
            }
        }
        else if (sender.Role < MucRole.Participant)
        {
            // §7.4 and §8.4: visitors of a moderated room have no voice.
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You have no voice in this moderated room");
        }

        var template = message.CloneWithoutChildren().SetAttribute("to", null).SetAttribute("from", sender.RoomJid.ToString());
        foreach (var child in message.Elements())
        {
            // XEP-0359 §3.1 and XEP-0421 §3: the room removes ids that claim to be its own before adding its own.
            if ((child.Name == "stanza-id" && child.Namespace == MucNs.StanzaId && child.GetAttribute("by") == Jid.ToString())
                || child.Namespace == MucNs.OccupantId)
            {
                continue;
            }

            template.Add(child.Clone());
        }

        template.AddChild("occupant-id", MucNs.OccupantId).SetAttribute("id", sender.OccupantId);
        var stamp = _service.Time.GetUtcNow();
        if (Config.Logging || _service.IsClustered)
        {
            // On a cluster the archive is also the durable copy of the join history (docs/dev/muc.md).
            await ArchiveAsync(template, sender.Nick, stamp, ct);
        }

        // Serialised once for every occupant: each copy below only gets its own 'from' and 'to' (issue #6).
        template.KeepSerialisedForm();

        if (subject is not null && !hasBody)
        {
            Subject = subject.Text;
            SubjectNick = sender.Nick;
            if (IsStored)
            {
                await _service.SaveSubjectAsync(this, ct);
            }
        }
        else if (hasBody)
        {
            _history.Add(template, stamp);
        }

        foreach (var receiver in Occupants())
        {
            await _service.Sink.SendAsync(template.Clone(), sender.RoomJid, receiver.RealJid);
        }
    }

    /// <summary>§7.5: a private message goes to the named occupant's real JID, from the sender's room JID.</summary>
    private async ValueTask PrivateMessageAsync(Element message, Jid from, Jid to)
    {
        var sender = FindOccupant(from)
            ?? throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Only occupants may send private messages");
        if (message.GetAttribute("type") == "groupchat")
        {
            // §7.5: a groupchat message to one occupant is a client error.
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Send groupchat messages to the room's bare JID");
        }

        if (!_byNick.TryGetValue(to.Resource!, out var target))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No occupant has that nick");
        }

        var forwarded = message.Clone().SetAttribute("to", null).SetAttribute("from", null);
        forwarded.RemoveAll("x", MucNs.User);
        forwarded.RemoveAll("occupant-id", MucNs.OccupantId);
        // §7.5: the recipient can tell a private message from a room from one between contacts.
        forwarded.Add(new Element("x", MucNs.User));
        forwarded.AddChild("occupant-id", MucNs.OccupantId).SetAttribute("id", sender.OccupantId);
        await _service.Sink.SendAsync(forwarded, sender.RoomJid, target.RealJid);
    }

    /// <summary>§7.2.15: the subject follows the history; an empty subject says there is none.</summary>
    private ValueTask SendSubjectAsync(Occupant receiver)
    {
        var message = new Element("message", Ns.Client).SetAttribute("type", "groupchat").SetAttribute("id", Guid.NewGuid().ToString("N"));
        message.AddChild("subject").AddText(Subject ?? string.Empty);
        var from = SubjectNick is null ? Jid : Jid.WithResource(SubjectNick);
        return _service.Sink.SendAsync(message, from, receiver.RealJid);
    }
}
