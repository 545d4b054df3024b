namespace Rookery.Server.Components;

/// <summary>
/// One external component domain (configuration section <c>Components:&lt;domain&gt;</c>): the XEP-0114 shared secret
/// and how the domain's instances share its stanzas.
/// </summary>
public sealed class ComponentDomainOptions
{
    /// <summary>The shared secret of the XEP-0114 handshake. Required.</summary>
    public string Secret { get; init; } = string.Empty;

    /// <summary>
    /// <c>random</c> (default: a local instance first, random among several), or one of <c>destination</c>,
    /// <c>source</c>, <c>bare_destination</c>, <c>bare_source</c>: a stable hash of that JID picks the instance.
    /// </summary>
    public string Balancing { get; init; } = "random";

    /// <summary>
    /// When above 0, the hash picks one of this many fixed buckets, each owned by one instance, so that a failed
    /// instance affects only its own bucket (ejabberd's <c>domain_balancing_component_number</c>). Needs a hashing
    /// <see cref="Balancing"/>. Default 0 (off).
    /// </summary>
    public int ComponentNumber { get; init; }

    /// <summary>
    /// With <see cref="ComponentNumber"/>: <c>bounce</c> (default) answers a failed instance's bucket with
    /// <c>service-unavailable</c>; <c>spare</c> hands the bucket to an instance that owns none.
    /// </summary>
    public string OnInstanceFailure { get; init; } = "bounce";

    /// <summary>
    /// Connect mode (Tigase's <c>connect</c>): addresses (<c>host:port</c>) of component processes that listen, which this
    /// node dials and keeps dialling with backoff; each connection is one more instance of the domain. Empty (default):
    /// the components dial the node's component listener (accept mode).
    /// </summary>
    public IReadOnlyList<string> Connect { get; init; } = [];

    /// <summary>The parsed <see cref="Connect"/> addresses (the unparsable ones left out; <see cref="Describe"/> names them).</summary>
    public IReadOnlyList<ComponentAddress> ConnectAddresses =>
        [.. Connect.Select(c => ComponentAddress.TryParse(c, out var a) ? a : null).OfType<ComponentAddress>()];

    /// <summary>The parsed <see cref="Balancing"/>, or null when the text is not a known criterion.</summary>
    public ComponentBalancing? ParsedBalancing => Normalize(Balancing) switch
    {
        "random" or "" => ComponentBalancing.Random,
        "destination" => ComponentBalancing.Destination,
        "source" => ComponentBalancing.Source,
        "baredestination" => ComponentBalancing.BareDestination,
        "baresource" => ComponentBalancing.BareSource,
        _ => null,
    };

    /// <summary>The parsed <see cref="OnInstanceFailure"/>, or null when the text is not known.</summary>
    public ComponentFailover? ParsedFailover => Normalize(OnInstanceFailure) switch
    {
        "bounce" or "" => ComponentFailover.Bounce,
        "spare" => ComponentFailover.Spare,
        _ => null,
    };

    /// <summary>Describes what is wrong with these settings, or returns null when they are usable.</summary>
    public (string Key, string Problem)? Describe()
    {
        if (string.IsNullOrEmpty(Secret))
        {
            return ("Secret", "must be set (the XEP-0114 shared secret)");
        }

        if (ParsedBalancing is not { } balancing)
        {
            return ("Balancing", $"'{Balancing}' is not one of random, destination, source, bare_destination, bare_source");
        }

        if (ComponentNumber < 0 || ComponentNumber > 10_000)
        {
            return ("ComponentNumber", "must be between 0 (off) and 10000");
        }

        if (ComponentNumber > 0 && balancing == ComponentBalancing.Random)
        {
            return ("ComponentNumber", "needs a hashing Balancing (destination, source, bare_destination or bare_source)");
        }

        if (ParsedFailover is null)
        {
            return ("OnInstanceFailure", $"'{OnInstanceFailure}' is not 'bounce' or 'spare'");
        }

        for (var i = 0; i < Connect.Count; i++)
        {
            if (!ComponentAddress.TryParse(Connect[i], out _))
            {
                return ($"Connect:{i}", $"'{Connect[i]}' is not host:port");
            }
        }

        return null;
    }

    // bare_destination, BareDestination and bare-destination all name the same criterion.
    private static string Normalize(string text) =>
        text.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
}
