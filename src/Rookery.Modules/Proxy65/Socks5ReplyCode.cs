namespace Rookery.Modules.Proxy65;

/// <summary>The REP field of a SOCKS5 reply (RFC 1928 §6) that the proxy sends.</summary>
public enum Socks5ReplyCode : byte
{
    /// <summary>X'00': the connection is accepted and waits for its peer and for activation.</summary>
    Succeeded = 0x00,

    /// <summary>X'01': the request is malformed (wrong version, reserved byte not zero).</summary>
    GeneralFailure = 0x01,

    /// <summary>X'02': a rule of XEP-0065 forbids it: a port other than 0, or a third connection for one stream.</summary>
    NotAllowedByRuleset = 0x02,

    /// <summary>X'04': the DOMAINNAME is not a stream hash (40 hexadecimal characters), so there is no such stream.</summary>
    HostUnreachable = 0x04,

    /// <summary>X'07': a command other than CONNECT (BIND, UDP ASSOCIATE).</summary>
    CommandNotSupported = 0x07,

    /// <summary>X'08': an address type other than DOMAINNAME (XEP-0065 names the stream by a hash, never by an IP address).</summary>
    AddressTypeNotSupported = 0x08,
}
