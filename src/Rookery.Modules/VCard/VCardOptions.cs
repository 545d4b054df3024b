namespace Rookery.Modules.VCard;

/// <summary>Settings of the <c>vcard</c> module (configuration section <c>Modules:VCard</c>).</summary>
public sealed class VCardOptions
{
    /// <summary>
    /// Largest vCard a user may store, in bytes of XML (an embedded avatar counts in base64); a larger one is refused
    /// with not-acceptable. Default 65536 (64 KiB); at least 1024.
    /// </summary>
    public int MaxBytes { get; init; } = 64 * 1024;

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:VCard</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MaxBytes < 1024)
        {
            yield return (nameof(MaxBytes), "must be at least 1024");
        }
    }
}
