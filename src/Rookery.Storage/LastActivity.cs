namespace Rookery.Storage;

/// <summary>A user's last logout.</summary>
/// <param name="Stamp">When the last available resource went unavailable.</param>
/// <param name="Status">The status text of that unavailable presence; empty when it had none.</param>
public sealed record LastActivity(DateTimeOffset Stamp, string Status);
