namespace Rookery.Server.Dns;

/// <summary>One DNS SRV record (RFC 2782): where a service of a domain is offered, and in which preference.</summary>
/// <param name="Priority">Lower is tried first.</param>
/// <param name="Weight">Among records of one priority, the relative share of first choices.</param>
/// <param name="Port">The service's TCP port on <paramref name="Target"/>.</param>
/// <param name="Target">The host name, without the trailing dot; <c>.</c> alone means the service is decidedly not offered.</param>
/// <param name="DirectTls">True for a record of an <c>_xmpps-*</c> service (XEP-0368): TLS from the first byte.</param>
public sealed record SrvRecord(ushort Priority, ushort Weight, ushort Port, string Target, bool DirectTls = false)
{
    /// <summary>RFC 2782: a target of "." says the service is decidedly not available at this domain.</summary>
    public bool IsServiceUnavailable => Target == ".";
}
