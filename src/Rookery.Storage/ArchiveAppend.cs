namespace Rookery.Storage;

/// <summary>One message to add to one owner's archive, as an entry of <see cref="IMessageArchiveStore.AppendManyAsync"/>.</summary>
/// <param name="Owner">The bare JID of the archive's owner.</param>
/// <param name="Message">The message to archive.</param>
/// <remarks>A struct, so that a batch of appends is one reusable list and not one object per message.</remarks>
public readonly record struct ArchiveAppend(string Owner, ArchivedMessage Message);
