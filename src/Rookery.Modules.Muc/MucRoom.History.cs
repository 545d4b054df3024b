using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>Discussion history sent on entering (XEP-0045 §7.2.15), with the limits the client asks for.</summary>
internal sealed partial class MucRoom
{
    /// <summary>The limits a client asks for in <c>&lt;history/&gt;</c>, checked before it enters (bad-request otherwise).</summary>
    private readonly record struct HistoryLimits(int? MaxStanzas, int? MaxChars, DateTimeOffset? Since);

    private HistoryLimits ParseHistoryRequest(Element? request)
    {
        int? maxStanzas = null, maxChars = null;
        DateTimeOffset? since = null;
        if (request is not null)
        {
            maxStanzas = ParseCount(request.GetAttribute("maxstanzas"), "maxstanzas");
            maxChars = ParseCount(request.GetAttribute("maxchars"), "maxchars");
            if (ParseCount(request.GetAttribute("seconds"), "seconds") is { } seconds)
            {
                since = _service.Time.GetUtcNow().AddSeconds(-seconds);
            }

            if (request.GetAttribute("since") is { } sinceText)
            {
                if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "'since' is not an XEP-0082 date-time");
                }

                since = since is { } s && s > parsed ? s : parsed;
            }
        }

        return new HistoryLimits(maxStanzas, maxChars, since);
    }

    private async ValueTask SendHistoryAsync(Occupant receiver, HistoryLimits limits)
    {
        foreach (var entry in _history.Select(limits.MaxStanzas, limits.MaxChars, limits.Since))
        {
            var message = entry.Message.Clone();
            // §7.2.15: each message says when the room got it (XEP-0203), from the room.
            message.AddChild("delay", Ns.Delay)
                .SetAttribute("from", Jid.ToString())
                .SetAttribute("stamp", entry.Stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            var from = Jid.Parse(entry.Message.GetAttribute("from")!);
            await _service.Sink.SendAsync(message, from, receiver.RealJid);
        }
    }

    private static int? ParseCount(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"History attribute '{name}' must be a non-negative integer");
    }
}
