namespace Rookery.Storage;

/// <summary>What a user's archive keeps of contacts in neither preference list (XEP-0441 §2.1.1).</summary>
public enum ArchiveDefault
{
    /// <summary>Every message.</summary>
    Always = 0,

    /// <summary>Messages with contacts whose bare JID is in the user's roster.</summary>
    Roster = 1,

    /// <summary>Nothing.</summary>
    Never = 2,
}
