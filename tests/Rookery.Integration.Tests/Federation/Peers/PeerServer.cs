using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>
/// A real third-party XMPP server (Debian's Prosody or ejabberd) run as a child process in a private folder with its
/// own configuration, ports and data, never touching the system service; it resolves domains through the test's DNS
/// responder, so that it finds Rookery by SRV record.
/// </summary>
public abstract class PeerServer : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>Creates the peer's folder and picks its ports.</summary>
    protected PeerServer(string domain)
    {
        Domain = domain;
        Folder = Path.Combine(Path.GetTempPath(), $"rookery-peer-{GetType().Name.ToLowerInvariant()}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
        C2sPort = RookeryProcess.FreePort();
        S2sPort = RookeryProcess.FreePort();
    }

    /// <summary>The peer's XMPP domain.</summary>
    public string Domain { get; }

    /// <summary>The peer's private folder (configuration, data, logs, certificate).</summary>
    public string Folder { get; }

    /// <summary>The client port on 127.0.0.1.</summary>
    public int C2sPort { get; }

    /// <summary>The server-to-server port on 127.0.0.1.</summary>
    public int S2sPort { get; }

    /// <summary>The peer's name and version, for messages.</summary>
    public abstract string Name { get; }

    /// <summary>Writes the configuration for the DNS responder <paramref name="dns"/>.</summary>
    protected abstract Task ConfigureAsync(TestDnsServer dns);

    /// <summary>The command line of the server process.</summary>
    protected abstract ProcessStartInfo StartInfo();

    /// <summary>Creates an account on the peer.</summary>
    public abstract Task CreateUserAsync(string user, string password);

    /// <summary>The tail of the peer's log files, for failure messages.</summary>
    public abstract string LogTail();

    /// <summary>Configures and starts the server; returns when its client and server ports accept connections.</summary>
    public async Task StartAsync(TestDnsServer dns)
    {
        ArgumentNullException.ThrowIfNull(dns);
        await ConfigureAsync(dns);
        var start = StartInfo();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = Folder;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        foreach (var port in new[] { C2sPort, S2sPort })
        {
            while (!await AcceptsAsync(port))
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited during start-up ({_process.ExitCode}):\n{Output}\n{LogTail()}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{Name} did not open port {port} within 90 s:\n{Output}\n{LogTail()}");
                }

                await Task.Delay(100);
            }
        }
    }

    /// <summary>Logs in a client of the peer (no TLS, SASL PLAIN, as the private configuration allows) fetches its roster and sends initial presence.</summary>
    public async Task<RawXmppClient> LoginAsync(string user, string password, string resource = "peer", string? host = null)
    {
        var client = await RawXmppClient.ConnectAsync("127.0.0.1", C2sPort, host ?? Domain);
        await client.OpenStreamAsync();
        await client.AuthenticatePlainAsync(user, password);
        await client.BindAsync(resource);
        // As a real client does: the roster first (RFC 6121 §2.2), which makes the resource "interested" (Prosody
        // delivers subscription approvals only to such resources), then initial presence.
        await client.IqAsync("<iq type='get' id='roster1'><query xmlns='jabber:iq:roster'/></iq>", "roster1");
        await client.SendAsync("<presence/>");
        return client;
    }

    /// <summary>What the process wrote to stdout and stderr.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Writes a self-signed certificate for the domain as PEM files (certificate, key); returns their paths.</summary>
    protected (string Certificate, string Key) WriteSelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={Domain}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Domain);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certificatePath = Path.Combine(Folder, Domain + ".crt");
        var keyPath = Path.Combine(Folder, Domain + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return (certificatePath, keyPath);
    }

    /// <summary>Runs a helper command of the peer (prosodyctl…) to its end; throws with its output when it fails.</summary>
    protected static async Task RunToEndAsync(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    /// <summary>The last lines of a text file, or a note that it does not exist.</summary>
    protected static string Tail(string path, int lines = 60)
    {
        if (!File.Exists(path))
        {
            return $"({path} does not exist)";
        }

        var all = File.ReadAllLines(path);
        return $"--- {path} ---\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>Stops the process (SIGTERM, then kill after 10 s) and removes its folder.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                Terminate(process.Id);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a child that outlived the kill: left for the temp cleaner.
        }

        GC.SuppressFinalize(this);
    }

    private static void Terminate(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit(5000);
    }
}
