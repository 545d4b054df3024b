namespace Rookery.Storage;

/// <summary>
/// The two token slots each client has (XEP-0484 §6.1): a newly issued token waits in <see cref="New"/> until the
/// client first uses it, so a client that never received it can still log in with the <see cref="Current"/> one.
/// </summary>
public enum FastTokenSlot
{
    /// <summary>The token the client has used at least once.</summary>
    Current = 0,

    /// <summary>The latest token issued, not yet used.</summary>
    New = 1,
}
