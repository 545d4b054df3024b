namespace Rookery.Server.Dns;

/// <summary>The record types the resolver asks for (RFC 1035 §3.2.2, RFC 3596, RFC 2782).</summary>
internal enum DnsRecordType : ushort
{
    /// <summary>An IPv4 address.</summary>
    A = 1,

    /// <summary>An alias (followed by the server; skipped in answers).</summary>
    Cname = 5,

    /// <summary>Start of authority: its minimum field bounds negative caching (RFC 2308 §5).</summary>
    Soa = 6,

    /// <summary>An IPv6 address.</summary>
    Aaaa = 28,

    /// <summary>A service location.</summary>
    Srv = 33,
}
