namespace Rookery.Modules.Proxy65;

/// <summary>What a SOCKS5 method selection message (RFC 1928 §3) asks for, as far as the proxy is concerned.</summary>
public enum Socks5Greeting
{
    /// <summary>More bytes are needed.</summary>
    Incomplete,

    /// <summary>SOCKS5 offering "no authentication required" (X'00'), the only method the proxy accepts.</summary>
    NoAuthentication,

    /// <summary>SOCKS5 without "no authentication required" among its methods: answered with X'FF' and closed.</summary>
    NoAcceptableMethod,

    /// <summary>Not SOCKS version 5 (a SOCKS4 client, or not SOCKS at all): closed without a reply, there is none to give.</summary>
    NotSocks5,
}
