namespace Rookery.Storage;

/// <summary>
/// A storage backend that pools network connections to a database server, and can drop them all: after the server was
/// unreachable, pooled connections are dead sockets that would fail the first operations to borrow them.
/// </summary>
public interface IPooledStorage
{
    /// <summary>Closes every idle pooled connection (busy ones are closed when returned); the next operations open fresh ones.</summary>
    void ClearPool();
}
