namespace Rookery.Modules.Blocking;

/// <summary>Settings of the <c>blocking</c> module (configuration section <c>Modules:Blocking</c>).</summary>
public sealed class BlockingOptions
{
    /// <summary>
    /// Most JIDs one user may block; a block command that would go beyond it is refused with not-acceptable and blocks
    /// nothing. Every list in use is kept in memory, which this bounds. Default 1000; at least 1.
    /// </summary>
    public int MaxItems { get; init; } = 1000;

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Blocking</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MaxItems < 1)
        {
            yield return (nameof(MaxItems), "must be at least 1");
        }
    }
}
