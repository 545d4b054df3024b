namespace Rookery.Modules.Disco;

/// <summary>
/// Addresses for reaching the people behind the service (XEP-0157), published in the host's disco#info. Each entry is
/// a URI such as <c>mailto:abuse@example.org</c>, <c>xmpp:admin@example.org</c> or <c>https://example.org/support</c>.
/// Empty lists are left out; when all are empty, no form is published.
/// </summary>
public sealed class ContactAddressesOptions
{
    /// <summary>Addresses for reports of abusive traffic (<c>abuse-addresses</c>).</summary>
    public List<string> Abuse { get; init; } = [];

    /// <summary>Addresses of the service administrators (<c>admin-addresses</c>).</summary>
    public List<string> Admin { get; init; } = [];

    /// <summary>Addresses for customer feedback (<c>feedback-addresses</c>).</summary>
    public List<string> Feedback { get; init; } = [];

    /// <summary>Addresses for sales and marketing (<c>sales-addresses</c>).</summary>
    public List<string> Sales { get; init; } = [];

    /// <summary>Addresses for security concerns (<c>security-addresses</c>).</summary>
    public List<string> Security { get; init; } = [];

    /// <summary>Addresses for customer support (<c>support-addresses</c>).</summary>
    public List<string> Support { get; init; } = [];

    /// <summary>The lists with their configuration key and their XEP-0157 field name, in the registry's order.</summary>
    internal IEnumerable<(string Key, string Field, List<string> Addresses)> Lists()
    {
        yield return (nameof(Abuse), "abuse-addresses", Abuse);
        yield return (nameof(Admin), "admin-addresses", Admin);
        yield return (nameof(Feedback), "feedback-addresses", Feedback);
        yield return (nameof(Sales), "sales-addresses", Sales);
        yield return (nameof(Security), "security-addresses", Security);
        yield return (nameof(Support), "support-addresses", Support);
    }
}
