namespace Rookery.Modules.Proxy65;

/// <summary>
/// A parsed SOCKS5 request (RFC 1928 §4): either a CONNECT to a stream hash that the proxy accepts
/// (<see cref="Error"/> is <see cref="Socks5ReplyCode.Succeeded"/>), or the reply code that refuses it.
/// </summary>
/// <param name="Error">The refusal, or <see cref="Socks5ReplyCode.Succeeded"/>.</param>
/// <param name="Hash">The stream hash, lower-case; empty when refused.</param>
public readonly record struct Socks5Request(Socks5ReplyCode Error, string Hash)
{
    /// <summary>True when the request is a CONNECT to a stream hash on port 0.</summary>
    public bool IsAccepted => Error == Socks5ReplyCode.Succeeded;

    /// <summary>A refused request.</summary>
    public static Socks5Request Refused(Socks5ReplyCode error) => new(error, string.Empty);
}
