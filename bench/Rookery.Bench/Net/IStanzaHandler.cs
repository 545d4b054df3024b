namespace Rookery.Bench.Net;

/// <summary>Receives what a logged-in connection's read loop finds; called on that loop, so it must not block.</summary>
internal interface IStanzaHandler
{
    /// <summary>A complete top-level stanza; the span is valid only during the call.</summary>
    void OnStanza(BenchConnection connection, ReadOnlySpan<byte> stanza);

    /// <summary>Every stanza of one read has been handed over: the moment to flush what the stanzas produced.</summary>
    void OnBatchEnd(BenchConnection connection)
    {
    }

    /// <summary>The connection ended (by the server, an error, or our own close).</summary>
    void OnClosed(BenchConnection connection);
}
