namespace Rookery.Modules.Disco;

/// <summary>Settings of the <c>disco</c> module (configuration section <c>Modules:Disco</c>).</summary>
public sealed class DiscoOptions
{
    /// <summary>Contact addresses published with the host's disco#info (XEP-0157). Default: none.</summary>
    public ContactAddressesOptions ContactAddresses { get; init; } = new();

    /// <summary>
    /// Checks the settings; yields each problem with its key relative to <c>Modules:Disco</c> (for example
    /// <c>ContactAddresses:Abuse:0</c>).
    /// </summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var (key, _, addresses) in ContactAddresses.Lists())
        {
            for (var i = 0; i < addresses.Count; i++)
            {
                if (!IsAddress(addresses[i]))
                {
                    yield return ($"ContactAddresses:{key}:{i}", $"'{addresses[i]}' is not a URI such as mailto:abuse@example.org or xmpp:admin@example.org");
                }
            }
        }
    }

    /// <summary>An absolute URI with an explicit scheme (a bare path would parse as a file URI on Unix).</summary>
    private static bool IsAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Trim() != value)
        {
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == value.Length - 1 || !char.IsAsciiLetter(value[0]))
        {
            return false;
        }

        for (var i = 1; i < colon; i++)
        {
            if (!char.IsAsciiLetterOrDigit(value[i]) && value[i] is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return Uri.TryCreate(value, UriKind.Absolute, out _);
    }
}
