namespace Rookery.Server.Streams;

/// <summary>The connection cannot carry XML any more (for example a failed TLS handshake): it ends without a stream error.</summary>
public sealed class ConnectionTeardownException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionTeardownException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
