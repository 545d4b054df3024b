using System.Diagnostics;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>
/// Debian's Prosody (0.12) in a private configuration: one virtual host with a self-signed certificate, s2s with
/// STARTTLS required and dialback (certificates not required valid, <c>s2s_secure_auth = false</c>), and libunbound
/// forwarding every question to the test's DNS responder (Prosody's <c>unbound</c> option; nothing read from
/// /etc/resolv.conf or /etc/hosts).
/// </summary>
public sealed class ProsodyPeer : PeerServer
{
    /// <summary>The Prosody binary of the Debian package.</summary>
    public const string Binary = "/usr/bin/prosody";

    /// <summary>Its admin tool, which registers users.</summary>
    public const string Ctl = "/usr/bin/prosodyctl";

    /// <summary>Creates the peer for <paramref name="domain"/>.</summary>
    public ProsodyPeer(string domain)
        : base(domain)
    {
    }

    /// <summary>A second virtual host, published in DNS with an <c>_xmpps-server</c> record only (XEP-0368 direct TLS).</summary>
    public string DirectTlsDomain => "tls." + Domain;

    /// <summary>The direct TLS server-to-server port (<c>s2s_direct_tls_ports</c>) on 127.0.0.1.</summary>
    public int S2sDirectTlsPort { get; } = RookeryProcess.FreePort();

    private static readonly string[] LuaUnbound =
        ["/usr/lib/x86_64-linux-gnu/lua/5.4/lunbound.so", "/usr/lib/aarch64-linux-gnu/lua/5.4/lunbound.so", "/usr/lib/lua/5.4/lunbound.so"];

    /// <summary>Why Prosody cannot run here, or null when it can.</summary>
    public static string? Missing =>
        !File.Exists(Binary) || !File.Exists(Ctl) ? $"{Binary} is not installed (apt-get install -y prosody lua-unbound)"
        // Without libunbound Prosody's legacy resolver asks only /etc/resolv.conf's servers on port 53, never the test's.
        : !LuaUnbound.Any(File.Exists) ? "lua-unbound is not installed (apt-get install -y lua-unbound)"
        : null;

    /// <inheritdoc />
    public override string Name => "Prosody";

    private string ConfigPath => Path.Combine(Folder, "prosody.cfg.lua");

    /// <inheritdoc />
    protected override Task ConfigureAsync(TestDnsServer dns)
    {
        var (certificate, key) = WriteSelfSignedCertificate();
        Directory.CreateDirectory(Path.Combine(Folder, "data"));
        // The direct TLS listener picks its certificate by SNI from the certificates folder (<host>.crt, <host>.key);
        // one self-signed pair serves both hosts (Rookery does not require it valid).
        var certificates = Directory.CreateDirectory(Path.Combine(Folder, "certs")).FullName;
        foreach (var host in new[] { Domain, DirectTlsDomain })
        {
            File.Copy(certificate, Path.Combine(certificates, host + ".crt"));
            File.Copy(key, Path.Combine(certificates, host + ".key"));
        }

        var config = $$"""
            -- Written by the Rookery federation tests: a private Prosody on loopback.
            run_as_root = true
            daemonize = false
            pidfile = "{{Folder}}/prosody.pid"
            data_path = "{{Folder}}/data"
            certificates = "{{Folder}}/certs"
            plugin_paths = {}
            log = { { levels = { min = "debug" }, to = "file", filename = "{{Folder}}/prosody.log" } }
            interfaces = { "127.0.0.1" }
            local_interfaces = { "127.0.0.1" }
            c2s_ports = { {{C2sPort}} }
            s2s_ports = { {{S2sPort}} }
            c2s_direct_tls_ports = {}
            s2s_direct_tls_ports = { {{S2sDirectTlsPort}} }
            component_ports = {}
            http_ports = {}
            https_ports = {}
            modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping", "version", "presence", "s2s", "time" }
            modules_disabled = { "posix", "offline", "limits", "c2s_limits" }
            c2s_require_encryption = false
            allow_unencrypted_plain_auth = true
            -- Encrypted s2s, but the peer's self-signed certificate is not required valid: dialback authenticates it.
            s2s_require_encryption = true
            s2s_secure_auth = false
            authentication = "internal_hashed"
            storage = "internal"
            -- libunbound: the test's responder only (RFC 6761 .test names would be answered locally by unbound, hence .example).
            unbound = {
                resolvconf = false;
                hoststxt = false;
                forward = "{{dns.EndPoint.Address}}@{{dns.EndPoint.Port}}";
                options = { ["do-not-query-localhost:"] = "no" };
            }
            VirtualHost "{{Domain}}"
                ssl = { certificate = "{{certificate}}", key = "{{key}}" }
            VirtualHost "{{DirectTlsDomain}}"
                ssl = { certificate = "{{certificate}}", key = "{{key}}" }
            """;
        File.WriteAllText(ConfigPath, config);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override ProcessStartInfo StartInfo() => new(Binary, ["--config", ConfigPath, "-F"]);

    /// <inheritdoc />
    public override Task CreateUserAsync(string user, string password) => CreateUserAsync(user, Domain, password);

    /// <summary>Creates an account on one of the virtual hosts with prosodyctl.</summary>
    public Task CreateUserAsync(string user, string host, string password) =>
        RunToEndAsync(new ProcessStartInfo(Ctl, ["--config", ConfigPath, "register", user, host, password]));

    /// <inheritdoc />
    public override string LogTail() => Tail(Path.Combine(Folder, "prosody.log"));

    /// <summary>The Debian package's version.</summary>
    public static string Version => PackageVersion("prosody");

    internal static string PackageVersion(string package)
    {
        try
        {
            using var query = Process.Start(new ProcessStartInfo("dpkg-query", ["-W", "-f", "${Version}", package]) { RedirectStandardOutput = true, UseShellExecute = false })!;
            var version = query.StandardOutput.ReadToEnd();
            query.WaitForExit(10000);
            return version.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
