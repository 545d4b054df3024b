namespace Rookery.Protocol.Sasl;

/// <summary>The identities carried by a SCRAM client-first-message, with SASL name escapes already decoded.</summary>
/// <param name="Username">The authentication identity (<c>n=</c>), not yet normalised: the caller applies its username profile.</param>
/// <param name="Authzid">The requested authorisation identity (<c>a=</c>), or null when absent.</param>
public sealed record ScramClientFirst(string Username, string? Authzid);
