namespace Rookery.Storage;

/// <summary>When each user last went offline, and with which status text (XEP-0012 last activity).</summary>
public interface ILastActivityStore
{
    /// <summary>Records that <paramref name="owner"/> (a bare JID) went offline, replacing the previous record.</summary>
    Task SetAsync(string owner, LastActivity activity, CancellationToken ct = default);

    /// <summary>The last recorded logout of <paramref name="owner"/>, or null when there is none.</summary>
    Task<LastActivity?> GetAsync(string owner, CancellationToken ct = default);
}
