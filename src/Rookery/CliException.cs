namespace Rookery.Cli;

/// <summary>A user error on the command line, reported as one line on standard error.</summary>
internal sealed class CliException(string message) : Exception(message);
