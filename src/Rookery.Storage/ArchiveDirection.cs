namespace Rookery.Storage;

/// <summary>Which way an archived message went, seen from the archive's owner (XEP-0313 §3: incoming or outgoing).</summary>
public enum ArchiveDirection
{
    /// <summary>A message the owner received.</summary>
    Incoming = 0,

    /// <summary>A message the owner sent.</summary>
    Outgoing = 1,
}
