namespace Rookery.Modules.Pep;

/// <summary>Settings of the <c>pep</c> module (configuration section <c>Modules:Pep</c>).</summary>
public sealed class PepOptions
{
    /// <summary>
    /// The most items one node keeps; a node configured with <c>pubsub#max_items</c> = <c>max</c> keeps this many, and a
    /// larger number is refused with not-acceptable. Default 256; at least 1.
    /// </summary>
    public int MaxItems { get; init; } = 256;

    /// <summary>
    /// The largest item payload in UTF-8 bytes of XML; a larger one is refused with not-acceptable and
    /// <c>&lt;payload-too-big/&gt;</c> (XEP-0060 §7.1.3.4). Default 131072 (avatars of XEP-0084 fit); at least 1024.
    /// </summary>
    public int MaxPayloadBytes { get; init; } = 131072;

    /// <summary>The most nodes one account may have; creating another is refused with not-acceptable. Default 100; at least 1.</summary>
    public int MaxNodes { get; init; } = 100;

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Pep</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MaxItems < 1)
        {
            yield return (nameof(MaxItems), "must be at least 1");
        }

        if (MaxPayloadBytes < 1024)
        {
            yield return (nameof(MaxPayloadBytes), "must be at least 1024");
        }

        if (MaxNodes < 1)
        {
            yield return (nameof(MaxNodes), "must be at least 1");
        }
    }
}
