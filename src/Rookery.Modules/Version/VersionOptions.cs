namespace Rookery.Modules.Version;

/// <summary>Settings of the <c>version</c> module (configuration section <c>Modules:Version</c>).</summary>
public sealed class VersionOptions
{
    /// <summary>
    /// Include the operating system in the answer. Off by default: telling everyone the exact OS helps attackers more
    /// than it helps users (XEP-0092 §5).
    /// </summary>
    public bool ShowOs { get; init; }
}
