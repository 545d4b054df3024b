using System.Net;

namespace Rookery.Server.Dns;

/// <summary>
/// A decoded DNS response (RFC 1035 §4.1): its response code, the records of the asked type from the answer section,
/// and how long the answer may be cached (the smallest record TTL; for a negative answer the SOA bound of RFC 2308 §5).
/// </summary>
internal sealed class DnsAnswer
{
    /// <summary>RCODE 0: no error.</summary>
    public const int NoError = 0;

    /// <summary>RCODE 3: the name does not exist.</summary>
    public const int NameError = 3;

    /// <summary>The response code (RFC 1035 §4.1.1).</summary>
    public int ResponseCode { get; init; }

    /// <summary>The TC bit: the UDP answer was cut, ask again over TCP (RFC 1035 §4.2.1).</summary>
    public bool Truncated { get; init; }

    /// <summary>SRV records of the answer section.</summary>
    public List<SrvRecord> Services { get; } = [];

    /// <summary>A and AAAA records of the answer section.</summary>
    public List<IPAddress> Addresses { get; } = [];

    /// <summary>Seconds the answer may be cached; 0 means not at all.</summary>
    public uint TimeToLive { get; set; }

    /// <summary>True when the answer can be cached: a definite yes or a definite no.</summary>
    public bool IsDefinite => ResponseCode is NoError or NameError;
}
