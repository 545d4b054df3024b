using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Server.Modules;

/// <summary>A stanza as a hook sees it.</summary>
/// <param name="Stanza">The stanza, its sender and addressee.</param>
/// <param name="Session">
/// For <see cref="HookPoint.Outbound"/>, the local client session that sent it; for <see cref="HookPoint.Inbound"/>,
/// null (the recipient's resources are not chosen yet).
/// </param>
/// <param name="Cancellation">Cancelled when the sender's stream or the server stops.</param>
public sealed record StanzaHookContext(Stanza Stanza, ILocalClientSession? Session, CancellationToken Cancellation);
