namespace Rookery.Modules.Pubsub;

/// <summary>Settings of the <c>pubsub</c> module (configuration section <c>Modules:Pubsub</c>).</summary>
public sealed class PubsubOptions
{
    /// <summary>
    /// The label put in front of each host's domain to name its publish-subscribe service: <c>pubsub</c> serves
    /// <c>pubsub.example.com</c> for <c>example.com</c>. Default <c>pubsub</c>.
    /// </summary>
    public string Subdomain { get; init; } = "pubsub";

    /// <summary>
    /// Who may create nodes: <c>Users</c> (every account of the host, the default, as ejabberd's and Prosody's defaults)
    /// or <c>Admins</c>. Anonymous users and users of other servers never may.
    /// </summary>
    public NodeCreation NodeCreation { get; init; } = NodeCreation.Users;

    /// <summary>
    /// The most items one node keeps; a node configured with <c>pubsub#max_items</c> = <c>max</c> keeps this many, and a
    /// larger number is refused with not-acceptable. Default 256; at least 1.
    /// </summary>
    public int MaxItems { get; init; } = 256;

    /// <summary>
    /// The largest item payload in UTF-8 bytes of XML; a larger one is refused with not-acceptable and
    /// <c>&lt;payload-too-big/&gt;</c> (XEP-0060 §7.1.3). Default 65536; at least 1024.
    /// </summary>
    public int MaxPayloadBytes { get; init; } = 65536;

    /// <summary>The most nodes one account may own on the service; creating another is refused with not-acceptable. Default 100; at least 1.</summary>
    public int MaxNodesPerOwner { get; init; } = 100;

    /// <summary>
    /// The most subscriptions one JID (a bare JID, or each full JID) may hold to one node. Multi-subscribe (XEP-0060 §6.1.6)
    /// makes every subscribe request a new subscription, so a client that subscribes at every login would otherwise pile
    /// them up; one more is refused with policy-violation. Default 16; at least 1.
    /// </summary>
    public int MaxSubscriptionsPerJid { get; init; } = 16;

    /// <summary>The service domain of a host.</summary>
    public string ServiceFor(string host) => string.Concat(Subdomain, ".", host);

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Pubsub</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (string.IsNullOrWhiteSpace(Subdomain) || Subdomain.Contains('@', StringComparison.Ordinal) || Subdomain.Contains('/', StringComparison.Ordinal))
        {
            yield return (nameof(Subdomain), "must be a domain label such as 'pubsub'");
        }

        if (!Enum.IsDefined(NodeCreation))
        {
            yield return (nameof(NodeCreation), "must be 'Users' or 'Admins'");
        }

        if (MaxItems < 1)
        {
            yield return (nameof(MaxItems), "must be at least 1");
        }

        if (MaxPayloadBytes < 1024)
        {
            yield return (nameof(MaxPayloadBytes), "must be at least 1024");
        }

        if (MaxNodesPerOwner < 1)
        {
            yield return (nameof(MaxNodesPerOwner), "must be at least 1");
        }

        if (MaxSubscriptionsPerJid < 1)
        {
            yield return (nameof(MaxSubscriptionsPerJid), "must be at least 1");
        }
    }
}
