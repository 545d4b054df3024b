namespace Rookery.Components;

/// <summary>The node refused the handshake (<c>not-authorized</c>, or an unknown domain): retrying cannot help.</summary>
public sealed class ComponentAuthenticationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ComponentAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComponentAuthenticationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ComponentAuthenticationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
