namespace Rookery.Hosting;

/// <summary>The configuration is invalid; the message names the key and says what is wrong.</summary>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the binder's error as inner exception.</summary>
    public ConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
