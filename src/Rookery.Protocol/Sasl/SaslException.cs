using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// Thrown when a SASL exchange fails: the stream sends <c>&lt;failure/&gt;</c> with <see cref="Failure"/> and lets the
/// client retry (RFC 6120 §6.4.5); the message is for logs, never for the peer.
/// </summary>
public sealed class SaslException : Exception
{
    /// <summary>Creates the exception for a failure condition with a log message explaining it.</summary>
    public SaslException(SaslFailure failure, string? message = null)
        : base(message ?? failure.ToWireName())
    {
        Failure = failure;
    }

    /// <summary>Creates the exception for a failure condition with a log message and the underlying cause.</summary>
    public SaslException(SaslFailure failure, string? message, Exception? innerException)
        : base(message ?? failure.ToWireName(), innerException)
    {
        Failure = failure;
    }

    /// <summary>Creates a <see cref="SaslFailure.NotAuthorized"/> exception.</summary>
    public SaslException()
        : this(SaslFailure.NotAuthorized)
    {
    }

    /// <summary>Creates a <see cref="SaslFailure.NotAuthorized"/> exception with a log message.</summary>
    public SaslException(string message)
        : this(SaslFailure.NotAuthorized, message)
    {
    }

    /// <summary>Creates a <see cref="SaslFailure.NotAuthorized"/> exception with a log message and cause.</summary>
    public SaslException(string message, Exception innerException)
        : this(SaslFailure.NotAuthorized, message, innerException)
    {
    }

    /// <summary>The condition sent to the client in <c>&lt;failure/&gt;</c>.</summary>
    public SaslFailure Failure { get; }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Throw(SaslFailure failure, string message) => throw new SaslException(failure, message);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static T Throw<T>(SaslFailure failure, string message) => throw new SaslException(failure, message);
}
