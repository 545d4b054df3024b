namespace Rookery.Storage;

/// <summary>
/// One storage backend: the stores it provides and the start-up step that brings its schema up to date.
/// </summary>
public interface IStorage : IAsyncDisposable
{
    /// <summary>Applies every schema migration not yet applied, in order; safe to call on every start.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    /// <summary>Accounts and credentials.</summary>
    IAccountStore Accounts { get; }

    /// <summary>Rosters and subscription requests.</summary>
    IRosterStore Rosters { get; }

    /// <summary>Offline messages.</summary>
    IOfflineStore Offline { get; }

    /// <summary>Per-user XML documents (vCards, private XML storage).</summary>
    IUserDataStore UserData { get; }

    /// <summary>Last logout times (XEP-0012).</summary>
    ILastActivityStore LastActivity { get; }

    /// <summary>Message archives and archiving preferences (XEP-0313, XEP-0441).</summary>
    IMessageArchiveStore Archive { get; }

    /// <summary>Blocked JIDs per user (XEP-0191).</summary>
    IBlockListStore BlockLists { get; }

    /// <summary>Personal eventing nodes and their items (XEP-0163 on XEP-0060).</summary>
    IPubsubStore Pubsub { get; }

    /// <summary>Affiliations and subscriptions of the nodes of publish-subscribe services (XEP-0060).</summary>
    IPubsubServiceStore PubsubService { get; }

    /// <summary>Persistent multi-user chat rooms and their affiliations (XEP-0045).</summary>
    IMucStore Muc { get; }

    /// <summary>Room host claims and occupant records of MUC rooms on a cluster (issue #7).</summary>
    IMucClusterStore MucCluster { get; }

    /// <summary>Verified entity capabilities hashes and their features (XEP-0115 §5.4).</summary>
    ICapsStore Caps { get; }

    /// <summary>Push notification registrations per user (XEP-0357).</summary>
    IPushStore Push { get; }

    /// <summary>FAST authentication tokens per client installation (XEP-0484).</summary>
    IFastTokenStore FastTokens { get; }
}
