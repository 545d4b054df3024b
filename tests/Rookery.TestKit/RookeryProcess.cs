using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Rookery.Hosting;

namespace Rookery.TestKit;

/// <summary>
/// The built <c>rookery</c> binary as a child process (<c>dotnet rookery.dll ...</c>), started in its own empty
/// working folder so that no stray <c>rookery.json</c> or <c>ROOKERY_</c> variable of the test run leaks in.
/// </summary>
public sealed class RookeryProcess : IAsyncDisposable
{
    /// <summary>How long a short verb (version, user ...) may take, cold start included.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<string> s_dll = new(LocateDll);

    private static readonly ConcurrentDictionary<int, byte> s_handedOut = new();
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RookeryProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Standard output so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Standard error so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Path of <c>rookery.dll</c> built from src/Rookery in the test assembly's configuration.</summary>
    public static string Dll => s_dll.Value;

    /// <summary>Starts <c>rookery</c> with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    public static RookeryProcess Start(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith(RookeryConfiguration.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new RookeryProcess(process);
        process.OutputDataReceived += (_, e) => Append(child._stdout, child._stdoutClosed, e.Data);
        process.ErrorDataReceived += (_, e) => Append(child._stderr, child._stderrClosed, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return child;
    }

    /// <summary>Runs a verb to completion; fails the test if it takes longer than <see cref="CommandTimeout"/>.</summary>
    public static async Task<CommandResult> RunAsync(string workingDirectory, IEnumerable<string> args, string? stdin = null, IDictionary<string, string>? environment = null)
    {
        await using var child = Start(workingDirectory, args, environment, stdin);
        var code = await child.WaitForExitAsync(CommandTimeout);
        return new CommandResult(code, child.StandardOutput, child.StandardError);
    }

    /// <summary>Waits for the exit code; throws <see cref="TimeoutException"/> (with the output so far) when it takes longer.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            // The exit event can precede the last redirected lines; the streams close right after.
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"rookery did not exit within {timeout.TotalSeconds:0} s.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        return _process.ExitCode;
    }

    /// <summary>Polls until <paramref name="port"/> on loopback accepts a connection; fails early if the process exits.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"rookery exited with {_process.ExitCode} before listening on {port}.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
            }

            using var probe = new TcpClient();
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await probe.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
                return;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"rookery did not listen on {port} within {timeout.TotalSeconds:0} s.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
                }
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Sends SIGTERM, as a service manager or <c>docker stop</c> does.</summary>
    public void Terminate()
    {
        if (NativeMethods.Kill(_process.Id, NativeMethods.SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Stops the process with SIGSTOP until <see cref="Resume"/>: alive (its sockets and database sessions stay open) but
    /// running nothing, as a node starved of CPU or paused by its host.
    /// </summary>
    public void Pause() => Signal(NativeMethods.SigStop, "SIGSTOP");

    /// <summary>Lets a process stopped by <see cref="Pause"/> run again (SIGCONT).</summary>
    public void Resume() => Signal(NativeMethods.SigCont, "SIGCONT");

    private void Signal(int signal, string name)
    {
        if (NativeMethods.Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {name}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Kills the process with SIGKILL (kill -9) and waits until it is gone: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>A loopback port that was free a moment ago, below the ephemeral range, for a child process's listener.</summary>
    public static int FreePort()
    {
        // Below Linux's ephemeral range (32768-60999): a port the OS hands out for bind(0) is just as likely to be taken
        // next by some test's outgoing connection as its local port before the child process binds it (several test
        // projects run at once, one with a thousand clients). Ports under 32768 are only ever taken by listeners.
        // A port is handed out once per test process: two tests running side by side that drew the same free port
        // before either child bound it would start two listeners on it, and one child would die at startup.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20000, 32768);
            if (!s_handedOut.TryAdd(port, 0))
            {
                continue;
            }

            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try another.
            }
            finally
            {
                listener.Stop();
            }
        }

        throw new InvalidOperationException("No free TCP port found between 20000 and 32767 on the loopback address");
    }

    /// <summary>Kills the process if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder buffer, TaskCompletionSource closed, string? line)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string LocateDll()
    {
        var configuration = typeof(RookeryProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Rookery.slnx")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException($"Rookery.slnx not found above {AppContext.BaseDirectory}");
        }

        var dll = Path.Combine(dir.FullName, "src", "Rookery", "bin", configuration, "net10.0", "rookery.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} does not exist; build src/Rookery ({configuration}) first");
    }
}
