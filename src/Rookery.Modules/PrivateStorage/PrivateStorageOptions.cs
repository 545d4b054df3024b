namespace Rookery.Modules.PrivateStorage;

/// <summary>Settings of the <c>private</c> module (configuration section <c>Modules:Private</c>).</summary>
public sealed class PrivateStorageOptions
{
    /// <summary>Largest element a user may store, in bytes of XML; a larger one is refused with not-acceptable. Default 65536 (64 KiB); at least 1024.</summary>
    public int MaxBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Most elements (distinct name and namespace pairs) one user may store; storing another is refused with
    /// not-acceptable, while replacing one always works. Default 100; at least 1.
    /// </summary>
    public int MaxItems { get; init; } = 100;

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Private</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MaxBytes < 1024)
        {
            yield return (nameof(MaxBytes), "must be at least 1024");
        }

        if (MaxItems < 1)
        {
            yield return (nameof(MaxItems), "must be at least 1 (disable the module with DisabledModules instead)");
        }
    }
}
