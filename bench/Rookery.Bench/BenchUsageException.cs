namespace Rookery.Bench;

/// <summary>A wrong command line or setting: reported as one line and exit code 2, never as a stack trace.</summary>
internal sealed class BenchUsageException : Exception
{
    /// <summary>Creates the exception with the message shown to the user.</summary>
    public BenchUsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no message.</summary>
    public BenchUsageException()
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public BenchUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
