namespace Rookery.TestKit;

/// <summary>What a finished <c>rookery</c> verb printed and returned.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);
