using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Rookery.Hosting;
using Rookery.Server.Hosts;

namespace Rookery.Cli;

/// <summary>
/// The options every verb shares to locate a node's configuration and data: <c>--config</c>, <c>--data</c>, and for
/// <c>run</c> the friendly switches for domain, ports, registration and clustering that override the file.
/// </summary>
internal sealed class NodeOptions
{
    public Option<string?> Config { get; } = new("--config", "-c") { Description = "Configuration file (JSON). Default: rookery.json in the current folder, if present." };
    public Option<string?> Data { get; } = new("--data", "-d") { Description = "Data folder (database, certificates). Overrides DataDirectory." };
    public Option<string[]> Domains { get; } = new("--domain") { Description = "A domain to serve (repeatable). Replaces the configured hosts.", AllowMultipleArgumentsPerToken = true };
    public Option<int?> Port { get; } = new("--port", "-p") { Description = "Client (STARTTLS) port. Overrides Listeners:Client:Port.", CustomParser = ParsePort };
    public Option<int?> TlsPort { get; } = new("--tls-port") { Description = "Direct-TLS port (XEP-0368). Overrides Listeners:DirectTls:Port.", CustomParser = ParsePort };
    public Option<int?> S2sPort { get; } = new("--s2s-port") { Description = "Federate (S2S:Enabled) and listen for other servers on this port. Overrides Listeners:Server:Port.", CustomParser = ParsePort };
    public Option<int?> S2sTlsPort { get; } = new("--s2s-tls-port") { Description = "Federate (S2S:Enabled) and listen for other servers over direct TLS (XEP-0368) on this port. Enables Listeners:ServerDirectTls and overrides its port.", CustomParser = ParsePort };
    public Option<int?> HttpPort { get; } = new("--http-port") { Description = "HTTP port for web clients (XMPP over WebSocket, host-meta). Overrides Listeners:Http:Port.", CustomParser = ParsePort };
    public Option<int?> Proxy65Port { get; } = new("--proxy65-port") { Description = "Open the SOCKS5 bytestreams proxy (XEP-0065, proxy.<domain>) on this port. Enables Listeners:Proxy65 and overrides its port.", CustomParser = ParsePort };
    public Option<bool> NoDirectTls { get; } = new("--no-direct-tls") { Description = "Do not open the direct-TLS listener." };
    public Option<bool> AllowRegistration { get; } = new("--allow-registration") { Description = "Allow in-band registration on the served domains." };
    public Option<bool> TlsRequired { get; } = new("--tls-required") { Description = "Require TLS before authentication on the served domains." };
    public Option<bool> Cluster { get; } = new("--cluster") { Description = "Join the cluster on the PostgreSQL database. Sets Cluster:Enabled." };
    public Option<string?> ClusterSecret { get; } = new("--cluster-secret") { Description = "The cluster's shared secret (at least 16 characters). Overrides Cluster:Secret; implies --cluster." };
    public Option<int?> ClusterPort { get; } = new("--cluster-port") { Description = "Node-to-node link port. Overrides Cluster:Port.", CustomParser = ParsePort };
    public Option<string?> ClusterAddress { get; } = new("--cluster-address") { Description = "Host or address other nodes and redirected clients use for this node. Overrides Cluster:AdvertisedAddress." };
    public Option<string?> NodeName { get; } = new("--node-name") { Description = "This node's name in the cluster. Overrides Cluster:NodeName." };

    /// <summary>A TCP port number; the default parser's error names the CLR type (<c>System.Nullable`1[System.Int32]</c>).</summary>
    private static int? ParsePort(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
        {
            return port;
        }

        var option = (result.Parent as OptionResult)?.Option.Name ?? "port";
        result.AddError($"{option}: '{text}' is not a TCP port number (0-65535)");
        return null;
    }

    public void AddCommon(Command command)
    {
        command.Add(Config);
        command.Add(Data);
    }

    public void AddRun(Command command)
    {
        AddCommon(command);
        command.Add(Domains);
        command.Add(Port);
        command.Add(TlsPort);
        command.Add(S2sPort);
        command.Add(S2sTlsPort);
        command.Add(HttpPort);
        command.Add(Proxy65Port);
        command.Add(NoDirectTls);
        command.Add(AllowRegistration);
        command.Add(TlsRequired);
        command.Add(Cluster);
        command.Add(ClusterSecret);
        command.Add(ClusterPort);
        command.Add(ClusterAddress);
        command.Add(NodeName);
    }

    /// <summary>Loads the configuration with the command line's overrides applied, and validates it.</summary>
    public RookeryOptions Load(ParseResult parse, string[]? switches = null)
    {
        var file = parse.GetValue(Config);
        if (file is null && File.Exists("rookery.json"))
        {
            file = "rookery.json";
        }

        var overrides = new Dictionary<string, string?>();
        if (parse.GetValue(Data) is { } data)
        {
            overrides["DataDirectory"] = data;
        }

        if (parse.GetResult(Port) is not null && parse.GetValue(Port) is { } port)
        {
            overrides["Listeners:Client:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (parse.GetResult(TlsPort) is not null && parse.GetValue(TlsPort) is { } tlsPort)
        {
            overrides["Listeners:DirectTls:Port"] = tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (parse.GetResult(S2sPort) is not null && parse.GetValue(S2sPort) is { } s2sPort)
        {
            overrides["Listeners:Server:Port"] = s2sPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            overrides["S2S:Enabled"] = "true";
        }

        if (parse.GetResult(S2sTlsPort) is not null && parse.GetValue(S2sTlsPort) is { } s2sTlsPort)
        {
            overrides["Listeners:ServerDirectTls:Port"] = s2sTlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            overrides["Listeners:ServerDirectTls:Enabled"] = "true";
            overrides["S2S:Enabled"] = "true";
        }

        if (parse.GetResult(HttpPort) is not null && parse.GetValue(HttpPort) is { } httpPort)
        {
            overrides["Listeners:Http:Port"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            overrides["Listeners:Http:Enabled"] = "true";
        }

        if (parse.GetResult(Proxy65Port) is not null && parse.GetValue(Proxy65Port) is { } proxy65Port)
        {
            overrides["Listeners:Proxy65:Port"] = proxy65Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            overrides["Listeners:Proxy65:Enabled"] = "true";
        }

        if (parse.GetResult(NoDirectTls) is not null && parse.GetValue(NoDirectTls))
        {
            overrides["Listeners:DirectTls:Enabled"] = "false";
        }

        if ((parse.GetResult(Cluster) is not null && parse.GetValue(Cluster)) || parse.GetResult(ClusterSecret) is not null)
        {
            overrides["Cluster:Enabled"] = "true";
        }

        if (parse.GetResult(ClusterSecret) is not null && parse.GetValue(ClusterSecret) is { } secret)
        {
            overrides["Cluster:Secret"] = secret;
        }

        if (parse.GetResult(ClusterPort) is not null && parse.GetValue(ClusterPort) is { } clusterPort)
        {
            overrides["Cluster:Port"] = clusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (parse.GetResult(ClusterAddress) is not null && parse.GetValue(ClusterAddress) is { } clusterAddress)
        {
            overrides["Cluster:AdvertisedAddress"] = clusterAddress;
        }

        if (parse.GetResult(NodeName) is not null && parse.GetValue(NodeName) is { } nodeName)
        {
            overrides["Cluster:NodeName"] = nodeName;
        }

        var configuration = RookeryConfiguration.Build(file, overrides, switches);
        var options = RookeryConfiguration.Bind(configuration);
        ApplyHostSwitches(parse, options);
        return options;
    }

    private void ApplyHostSwitches(ParseResult parse, RookeryOptions options)
    {
        var domains = parse.GetResult(Domains) is null ? [] : parse.GetValue(Domains) ?? [];
        var registration = parse.GetResult(AllowRegistration) is not null && parse.GetValue(AllowRegistration);
        var tls = parse.GetResult(TlsRequired) is not null && parse.GetValue(TlsRequired);
        if (domains.Length == 0 && !registration && !tls)
        {
            return;
        }

        // A copy: ToServerOptions hands out options.Hosts itself when hosts are configured, and it is cleared below.
        var current = new Dictionary<string, HostOptions>(options.ToServerOptions().Hosts, StringComparer.OrdinalIgnoreCase);
        var selected = domains.Length > 0 ? domains : [.. current.Keys];
        options.Hosts.Clear();
        foreach (var d in selected)
        {
            var existing = current.GetValueOrDefault(d) ?? new HostOptions();
            options.Hosts[d] = new HostOptions
            {
                AllowRegistration = registration || existing.AllowRegistration,
                TlsRequired = tls || existing.TlsRequired,
                CertificatePath = existing.CertificatePath,
                KeyPath = existing.KeyPath,
                Admins = existing.Admins,
                DisabledModules = existing.DisabledModules,
                MaxUsers = existing.MaxUsers,
                AllowAnonymous = existing.AllowAnonymous,
                AllowUnencryptedPlain = existing.AllowUnencryptedPlain,
            };
        }

        // Re-validate: switch values (a domain) go through the same checks as the file.
        RookeryConfiguration.Validate(options);
    }
}
