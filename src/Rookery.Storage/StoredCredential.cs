namespace Rookery.Storage;

/// <summary>
/// One SCRAM credential (RFC 5802 §3): the salted keys derived from a password for one hash function.
/// </summary>
/// <param name="Mechanism">The hash name as used in SASL mechanism names: <c>SHA-1</c>, <c>SHA-256</c> or <c>SHA-512</c>.</param>
/// <param name="Salt">The random salt.</param>
/// <param name="Iterations">The PBKDF2 iteration count.</param>
/// <param name="StoredKey">H(ClientKey).</param>
/// <param name="ServerKey">HMAC(SaltedPassword, "Server Key").</param>
public sealed record StoredCredential(string Mechanism, byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey);
