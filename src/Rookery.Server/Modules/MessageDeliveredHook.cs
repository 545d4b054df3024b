using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Server.Modules;

/// <summary>
/// Told, after the session manager delivered a message to local resources, which resources got it (message carbons
/// copy it to the other ones). Never blocks delivery: it runs after the fact. The list is valid only during the call
/// (the server reuses it).
/// </summary>
public delegate void MessageDeliveredHook(Stanza message, IReadOnlyList<IClientSession> deliveredTo);
