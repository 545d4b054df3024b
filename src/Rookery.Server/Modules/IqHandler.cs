namespace Rookery.Server.Modules;

/// <summary>Handles one iq request and returns the result payload or throws a <c>StanzaErrorException</c>.</summary>
public delegate ValueTask<IqResult> IqHandler(IqContext iq);
