namespace Rookery.Bench.Net;

/// <summary>How a bench client logs in.</summary>
/// <param name="Domain">The XMPP domain (stream 'to', account domain).</param>
/// <param name="Password">The accounts' password.</param>
/// <param name="Tls">Negotiate STARTTLS first.</param>
/// <param name="Mechanism">SASL mechanism: SCRAM-SHA-1, SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN.</param>
/// <param name="Resource">The resource to bind.</param>
/// <param name="Keys">SCRAM key cache shared by all logins.</param>
internal sealed record LoginSettings(string Domain, string Password, bool Tls, string Mechanism, string Resource, ScramKeyCache Keys);
