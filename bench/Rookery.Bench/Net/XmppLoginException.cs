namespace Rookery.Bench.Net;

/// <summary>A login that did not complete: <see cref="Reason"/> is a short machine-friendly cause for the failure tally.</summary>
internal sealed class XmppLoginException : Exception
{
    /// <summary>Creates the exception.</summary>
    public XmppLoginException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Creates the exception with no reason.</summary>
    public XmppLoginException()
    {
        Reason = "error";
    }

    /// <summary>Creates the exception with a message.</summary>
    public XmppLoginException(string message)
        : base(message)
    {
        Reason = "error";
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public XmppLoginException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = "error";
    }

    /// <summary>A short cause, e.g. <c>not-authorized</c>, <c>timeout</c>, <c>tls-required</c>.</summary>
    public string Reason { get; }
}
