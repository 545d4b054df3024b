using System.Diagnostics;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>
/// Debian's ejabberd (23.01) in a private configuration, started as bench/compare.sh does (erl with the package's
/// libraries, its own spool, logs and HOME, no switch to the ejabberd user): one host with a self-signed certificate,
/// s2s with STARTTLS and dialback (mod_s2s_dialback), in-band registration for the test's users, and Erlang's resolver
/// pointed at the test's DNS responder by an <c>ERL_INETRC</c> file (<c>{nameserver, IP, Port}</c>). ejabberd (p1_xmpp
/// 1.6) asks that resolver for SRV records only; it resolves SRV targets with the system's getaddrinfo.
/// </summary>
public sealed class EjabberdPeer : PeerServer
{
    /// <summary>The Erlang runtime.</summary>
    public const string Erl = "/usr/bin/erl";

    /// <summary>Creates the peer for <paramref name="domain"/>.</summary>
    public EjabberdPeer(string domain)
        : base(domain)
    {
    }

    /// <summary>The folder holding the package's ebin folders (ERL_LIBS), or null when ejabberd is not installed.</summary>
    public static string? Libraries
    {
        get
        {
            foreach (var root in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib" })
            {
                if (Directory.Exists(root) && Directory.EnumerateDirectories(root, "ejabberd-*").Any(d => File.Exists(Path.Combine(d, "ebin", "ejabberd.app"))))
                {
                    return root;
                }
            }

            return null;
        }
    }

    /// <summary>Why ejabberd cannot run here, or null when it can.</summary>
    public static string? Missing => File.Exists(Erl) && Libraries is not null ? null : "ejabberd is not installed (apt-get install -y ejabberd)";

    /// <inheritdoc />
    public override string Name => "ejabberd";

    /// <inheritdoc />
    protected override Task ConfigureAsync(TestDnsServer dns)
    {
        var (certificate, key) = WriteSelfSignedCertificate();
        Directory.CreateDirectory(Path.Combine(Folder, "spool"));
        Directory.CreateDirectory(Path.Combine(Folder, "logs"));
        var ip = string.Join(',', dns.EndPoint.Address.GetAddressBytes());
        // resolv_conf "" stops inet_db from replacing the name servers with /etc/resolv.conf's at the first lookup.
        File.WriteAllText(
            Path.Combine(Folder, "inetrc"),
            $"{{resolv_conf, \"\"}}.\n{{hosts_file, \"\"}}.\n{{nameserver, {{{ip}}}, {dns.EndPoint.Port}}}.\n{{lookup, [dns]}}.\n");
        var config = $$"""
            # Written by the Rookery federation tests: a private ejabberd on loopback.
            hosts:
              - "{{Domain}}"
            loglevel: info
            certfiles:
              - "{{certificate}}"
              - "{{key}}"
            # Encrypted s2s; a self-signed peer certificate falls back to dialback.
            s2s_use_starttls: required
            s2s_dns_timeout: 5
            s2s_dns_retries: 1
            registration_timeout: infinity
            listen:
              -
                port: {{C2sPort}}
                ip: "127.0.0.1"
                module: ejabberd_c2s
                starttls: false
              -
                port: {{S2sPort}}
                ip: "127.0.0.1"
                module: ejabberd_s2s_in
            auth_method: internal
            acl:
              loopback:
                ip:
                  - 127.0.0.0/8
            access_rules:
              c2s:
                allow: all
              register:
                allow: all
            modules:
              mod_disco: {}
              mod_ping: {}
              mod_roster: {}
              mod_version: {}
              mod_s2s_dialback: {}
              mod_register:
                access: register
                ip_access: all
                password_strength: 0
                welcome_message: {}
            """;
        File.WriteAllText(Path.Combine(Folder, "ejabberd.yml"), config);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override ProcessStartInfo StartInfo()
    {
        // No -sname: the node is not distributed, so no epmd daemon is started (and none is left behind).
        var start = new ProcessStartInfo(Erl, ["+K", "true", "-noinput", "-mnesia", "dir", $"\"{Folder}/spool\"", "-s", "ejabberd"]);
        start.Environment["HOME"] = Folder;
        start.Environment["ERL_LIBS"] = Libraries!;
        start.Environment["EJABBERD_CONFIG_PATH"] = Path.Combine(Folder, "ejabberd.yml");
        start.Environment["EJABBERD_LOG_PATH"] = Path.Combine(Folder, "logs", "ejabberd.log");
        start.Environment["ERL_CRASH_DUMP"] = Path.Combine(Folder, "logs", "erl_crash.dump");
        start.Environment["ERL_CRASH_DUMP_BYTES"] = "0";
        start.Environment["ERL_INETRC"] = Path.Combine(Folder, "inetrc");
        return start;
    }

    /// <inheritdoc />
    public override async Task CreateUserAsync(string user, string password)
    {
        // In-band registration (XEP-0077), allowed by this private configuration's mod_register. ejabberd opens its port
        // before its client streams answer; on a loaded machine the first stream header went unanswered for the client's
        // whole timeout, so a stream that gets no answer is tried again, within a minute.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            await using var attempt = await RawXmppClient.ConnectAsync("127.0.0.1", C2sPort, Domain);
            try
            {
                await attempt.OpenStreamAsync();
                break;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }

        await using var client = await RawXmppClient.ConnectAsync("127.0.0.1", C2sPort, Domain);
        await client.OpenStreamAsync();
        var result = await client.IqAsync(
            $"<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>{user}</username><password>{password}</password></query></iq>", "reg1");
        if (result.GetAttribute("type") != "result")
        {
            throw new InvalidOperationException($"ejabberd refused to register {user}: {result}\n{LogTail()}");
        }
    }

    /// <inheritdoc />
    public override string LogTail() => Tail(Path.Combine(Folder, "logs", "ejabberd.log")) + "\n" + Output;

    /// <summary>The Debian package's version.</summary>
    public static string Version => ProsodyPeer.PackageVersion("ejabberd");
}
