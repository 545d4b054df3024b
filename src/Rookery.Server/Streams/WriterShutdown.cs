using Microsoft.AspNetCore.Connections;

namespace Rookery.Server.Streams;

/// <summary>
/// The end of a stream's writer loop when the connection ends. A peer that stops reading leaves the writer stuck in a
/// flush nobody will complete: after a bounded wait the connection is aborted so that the write fails and the loop ends.
/// Only then is the outgoing queue the teardown's alone, to route again what was never written.
/// </summary>
internal static class WriterShutdown
{
    /// <summary>How long a writer may take to write what is queued and the closing tag.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Waits for <paramref name="writer"/>, aborting <paramref name="connection"/> when it is still running after the
    /// grace period; true once the writer has ended. <paramref name="dropped"/> is told of a timeout or a torn connection.
    /// </summary>
    public static async Task<bool> EndAsync(Task writer, ConnectionContext connection, string abortReason, Action<Exception> dropped)
    {
        if (await WaitAsync(writer, dropped).ConfigureAwait(false))
        {
            return true;
        }

        connection.Abort(new ConnectionAbortedException(abortReason));
        return await WaitAsync(writer, dropped).ConfigureAwait(false);
    }

    private static async Task<bool> WaitAsync(Task writer, Action<Exception> dropped)
    {
        try
        {
            await writer.WaitAsync(Grace).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException e)
        {
            dropped(e);
            return false;
        }
        catch (Exception e) when (e is ConnectionResetException or ConnectionAbortedException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            dropped(e);
            return true;
        }
    }
}
