using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;

namespace Rookery.Modules.Blocking;

/// <content>XEP-0377 reports attached to block commands, handed to the operator through the log.</content>
public sealed partial class BlockingModule
{
    // The report's free text is the reporter's own words; a stanza can be large, the log line need not be.
    private const int MaxLoggedTextLength = 2000;

    private void LogReport(Jid reporter, BlockReport report)
    {
        var text = string.Join(" / ", report.Texts);
        if (text.Length > MaxLoggedTextLength)
        {
            text = text[..MaxLoggedTextLength] + "…";
        }

        Log.Reported(
            logger,
            reporter.Bare,
            report.Reported,
            report.Reason,
            report.StanzaIds.Count == 0 ? "-" : string.Join(' ', report.StanzaIds),
            report.OptIns.Count == 0 ? "-" : string.Join(' ', report.OptIns),
            text);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5680, Level = LogLevel.Warning,
            Message = "Abuse report: {Reporter} blocked {Reported} for {Reason}; messages {StanzaIds}; opt-ins {OptIns}; text: {Text}")]
        public static partial void Reported(ILogger logger, Jid reporter, Jid reported, string reason, string stanzaIds, string optIns, string text);
    }
}
