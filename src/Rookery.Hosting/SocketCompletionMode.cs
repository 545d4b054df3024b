namespace Rookery.Hosting;

/// <summary>
/// Chooses, once per process and before the first socket operation, whether .NET's socket engine runs the code that
/// continues after a socket completion on its own epoll thread or hands it to the thread pool
/// (<c>Listeners:InlineCompletions</c>).
/// </summary>
/// <remarks>
/// Inline is the default because a stanza's whole path (read, parse, route, and the recipient's write, which
/// <c>C2sStream</c> does on the routing thread when the recipient's writer is idle) then runs on the thread that
/// learned of the data, without waking a pool worker: on the 2-core virtual machines of docs/benchmarks.md, where a
/// context switch costs several microseconds, this halved the server's CPU per message at moderate rates. The price is
/// that nothing reached from a socket completion may block: the SQLite stores move their work off the engine's thread
/// (<c>SqliteDatabase.OpenAsync</c>), and everything else on the read path is asynchronous or short. The runtime reads
/// the switch from the environment, once, when its socket engine starts, so it is set here before any socket exists.
/// </remarks>
public static class SocketCompletionMode
{
    /// <summary>The runtime's switch (System.Net.Sockets reads it once, when its socket engine starts).</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether this process's socket engine runs completions inline (as the runtime will read the switch).</summary>
    public static bool IsInline => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Sets the process's mode; call before the first socket operation.</summary>
    public static void Apply(bool inline) => Environment.SetEnvironmentVariable(Variable, inline ? "1" : "0");
}
