using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Server.Modules;

/// <summary>A message that waits for its recipient, as a <see cref="MessageWaitingHook"/> sees it.</summary>
/// <param name="Message">The message stanza; read-only for the hook (it is queued or was stored as is).</param>
/// <param name="From">Its sender.</param>
/// <param name="To">Its recipient: the account's bare JID or the full JID it was addressed or queued to.</param>
/// <param name="Session">
/// For a message queued for a session waiting for resumption, that session; null for a message stored offline.
/// </param>
/// <param name="Hibernation">
/// With <paramref name="Session"/>, which of the session's waits for resumption this is (it grows each time the
/// session's connection drops), so that a hook can count the messages of one wait; 0 for a message stored offline.
/// </param>
public sealed record WaitingMessage(Element Message, Jid From, Jid To, IClientSession? Session, int Hibernation);
