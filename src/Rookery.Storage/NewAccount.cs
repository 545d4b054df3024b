namespace Rookery.Storage;

/// <summary>One account of a bulk creation (<see cref="IAccountStore.CreateManyAsync"/>): its address and its SCRAM credentials.</summary>
/// <param name="Domain">The host the account belongs to.</param>
/// <param name="User">The prepped local part.</param>
/// <param name="Credentials">The salted keys, one per hash.</param>
public sealed record NewAccount(string Domain, string User, IReadOnlyList<StoredCredential> Credentials);
