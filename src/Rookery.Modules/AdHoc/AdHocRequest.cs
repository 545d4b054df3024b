using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;

namespace Rookery.Modules.AdHoc;

/// <summary>One stage of a command as the command sees it.</summary>
/// <param name="Requester">The full JID of the entity running the command.</param>
/// <param name="Host">The host the command was sent to.</param>
/// <param name="Stage">0 when the command starts; otherwise the number of the form being submitted (1 for the first).</param>
/// <param name="Action"><see cref="AdHocAction.Execute"/> at the start, else <see cref="AdHocAction.Next"/> or <see cref="AdHocAction.Complete"/>.</param>
/// <param name="Form">The submitted form (type submit), or null at the start.</param>
/// <param name="State">Values the command keeps between the stages of one session.</param>
/// <param name="Cancellation">Cancelled when the server stops.</param>
public sealed record AdHocRequest(
    Jid Requester,
    string Host,
    int Stage,
    AdHocAction Action,
    DataForm? Form,
    IDictionary<string, object> State,
    CancellationToken Cancellation);
