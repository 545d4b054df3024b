using System.Net;
using Rookery.Bench.Net;

namespace Rookery.Bench.Scenarios;

/// <summary>Which account connects where, from which loopback source address.</summary>
/// <param name="Index">Connection number.</param>
/// <param name="User">Account local part.</param>
/// <param name="Target">Server endpoint.</param>
/// <param name="Source">Local address to bind.</param>
internal sealed record ConnectionPlan(int Index, string User, XmppEndpoint Target, IPAddress Source);
