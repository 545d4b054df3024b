using System.Runtime.InteropServices;

namespace Rookery.TestKit;

/// <summary>libc's <c>kill(2)</c>: <see cref="System.Diagnostics.Process.Kill()"/> only sends SIGKILL.</summary>
internal static class NativeMethods
{
    /// <summary>SIGTERM on Linux and macOS.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGCONT on Linux (x86-64 and arm64).</summary>
    public const int SigCont = 18;

    /// <summary>SIGSTOP on Linux (x86-64 and arm64).</summary>
    public const int SigStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Kill(int pid, int signal);
}
