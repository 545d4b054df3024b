using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Rookery.Protocol.Addressing;
using Rookery.Storage.Postgres;

namespace Rookery.Hosting;

/// <summary>Loads, binds and validates a node's configuration, failing with a message that names the offending key.</summary>
public static class RookeryConfiguration
{
    /// <summary>The environment variable prefix (<c>ROOKERY_Listeners__Client__Port=5222</c>).</summary>
    public const string EnvironmentPrefix = "ROOKERY_";

    /// <summary>
    /// Builds the configuration from the optional file, the environment, generic <c>--Key=value</c> switches and
    /// explicit overrides (from friendly CLI options), in increasing precedence.
    /// </summary>
    public static IConfigurationRoot Build(string? configFile, IEnumerable<KeyValuePair<string, string?>>? overrides = null, string[]? switches = null)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new ConfigurationException($"Configuration file '{configFile}' does not exist");
            }

            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        if (switches is { Length: > 0 })
        {
            builder.AddCommandLine(switches);
        }

        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        try
        {
            return builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            throw new ConfigurationException($"Configuration file '{configFile}' is not valid JSON: {DescribeJsonError(e)}", e);
        }
    }

    /// <summary>The parser's own words and a 1-based line and column; the provider's wrappers only say "failed to load".</summary>
    private static string DescribeJsonError(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        if (inner is not JsonException json)
        {
            return inner.Message;
        }

        // JsonException.Message ends with " Path: $ | LineNumber: 0 | BytePositionInLine: 5." (0-based): say it our way.
        var message = json.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }

        message = cut < 0 ? message : message[..cut];
        return json.LineNumber is { } line
            ? $"line {line + 1}, column {(json.BytePositionInLine ?? 0) + 1}: {message}"
            : message;
    }

    /// <summary>Binds and validates; unknown keys are errors too, so that a typo does not silently do nothing.</summary>
    public static RookeryOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (ConfigurationKeys.FindUnknown(configuration, typeof(RookeryOptions)) is { } unknown)
        {
            var source = ConfigurationKeys.DescribeSource(configuration, unknown);
            throw new ConfigurationException($"Configuration key '{unknown}'{(source is null ? "" : " (set " + source + ")")} is not a known setting; docs/configuration.md lists every key");
        }

        RookeryOptions options;
        try
        {
            options = configuration.Get<RookeryOptions>(o => o.ErrorOnUnknownConfiguration = true) ?? new RookeryOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException("Invalid configuration: " + e.Message, e);
        }

        Validate(options);
        return options;
    }

    /// <summary>Checks every setting and throws <see cref="ConfigurationException"/> naming the first bad key.</summary>
    public static void Validate(RookeryOptions o)
    {
        Require(!string.IsNullOrWhiteSpace(o.DataDirectory), "DataDirectory", "must not be empty");
        foreach (var (domain, host) in o.ToServerOptions().Hosts)
        {
            Require(Jid.TryParse(domain, out var j) && j.IsDomain && j.IsBare, $"Hosts:{domain}", "is not a valid domain name");
            Require(host.MaxUsers >= 0, $"Hosts:{domain}:MaxUsers", "must not be negative (0 means no limit)");
            Require(string.IsNullOrEmpty(host.KeyPath) || !string.IsNullOrEmpty(host.CertificatePath), $"Hosts:{domain}:KeyPath", "needs CertificatePath as well");
            if (!string.IsNullOrEmpty(host.CertificatePath))
            {
                Require(File.Exists(host.CertificatePath), $"Hosts:{domain}:CertificatePath", $"file '{host.CertificatePath}' does not exist");
            }

            if (!string.IsNullOrEmpty(host.KeyPath))
            {
                Require(File.Exists(host.KeyPath), $"Hosts:{domain}:KeyPath", $"file '{host.KeyPath}' does not exist");
            }

            for (var i = 0; i < host.Admins.Count; i++)
            {
                Require(Jid.TryParse(host.Admins[i], out var a) && a.Local is not null, $"Hosts:{domain}:Admins:{i}", $"'{host.Admins[i]}' is not a user JID");
            }
        }

        for (var i = 0; i < o.Admins.Count; i++)
        {
            Require(Jid.TryParse(o.Admins[i], out var a) && a.Local is not null, $"Admins:{i}", $"'{o.Admins[i]}' is not a user JID");
        }

        ValidateEndpoint(o.Listeners.Client, "Listeners:Client");
        ValidateEndpoint(o.Listeners.DirectTls, "Listeners:DirectTls");
        ValidateEndpoint(o.Listeners.Component, "Listeners:Component");
        ValidateEndpoint(o.Listeners.Server, "Listeners:Server");
        ValidateEndpoint(o.Listeners.ServerDirectTls, "Listeners:ServerDirectTls");
        ValidateEndpoint(o.Listeners.Http, "Listeners:Http");
        ValidateEndpoint(o.Listeners.Https, "Listeners:Https");
        ValidateEndpoint(o.Listeners.Proxy65, "Listeners:Proxy65");
        if (o.S2S.Describe() is { } s2sProblem)
        {
            throw new ConfigurationException("Configuration key " + s2sProblem);
        }

        foreach (var domain in o.S2S.Routes.Keys)
        {
            Require(Jid.TryParse(domain, out var r) && r.IsDomain && r.IsBare, $"S2S:Routes:{domain}", "is not a valid domain name");
        }

        foreach (var (domain, component) in o.Components)
        {
            Require(Jid.TryParse(domain, out var c) && c.IsDomain && c.IsBare, $"Components:{domain}", "is not a valid domain name");
            Require(!o.ToServerOptions().Hosts.ContainsKey(domain), $"Components:{domain}", "is also a served host (Hosts); a domain is either a host or a component");
            if (component.Describe() is { } problem)
            {
                Require(false, $"Components:{domain}:{problem.Key}", problem.Problem);
            }
        }

        Require(IsPostgres(o.Storage) || o.Storage.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase), "Storage:Provider", $"'{o.Storage.Provider}' is not a known backend (sqlite, postgres)");
        Require(!string.IsNullOrWhiteSpace(o.Storage.Sqlite.Path), "Storage:Sqlite:Path", "must not be empty");
        if (IsPostgres(o.Storage))
        {
            Require(!string.IsNullOrWhiteSpace(o.Storage.Postgres.ConnectionString), "Storage:Postgres:ConnectionString", "must be set when Storage:Provider is postgres");
            RequireNoProblem(PostgresStorageOptions.DescribeConnectionStringProblem(o.Storage.Postgres.ConnectionString), "Storage:Postgres:ConnectionString");
            RequireNoProblem(PostgresStorageOptions.DescribeSchemaProblem(o.Storage.Postgres.Schema), "Storage:Postgres:Schema");
        }

        Require(o.Limits.MaxStanzaBytes >= 1024, "Limits:MaxStanzaBytes", "must be at least 1024");
        Require(o.Limits.MaxDepth is >= 4 and <= 10_000, "Limits:MaxDepth", "must be between 4 and 10000");
        Require(o.Limits.MaxAttributes is >= 4 and <= 10_000, "Limits:MaxAttributes", "must be between 4 and 10000");
        Require(o.Limits.AuthTimeoutSeconds >= 1, "Limits:AuthTimeoutSeconds", "must be at least 1");
        Require(o.Limits.MaxOutboundQueue >= 10, "Limits:MaxOutboundQueue", "must be at least 10");
        Require(o.Limits.MaxLinkOutboundQueue >= 10, "Limits:MaxLinkOutboundQueue", "must be at least 10");
        Require(o.Auth.ScramIterations is >= 1 and <= 10_000_000, "Auth:ScramIterations", "must be between 1 and 10000000 (RFC 7677 recommends at least 4096)");
        Require(o.Auth.FailureDelayMilliseconds >= 0, "Auth:FailureDelayMilliseconds", "must not be negative");
        Require(o.Auth.MaxFailureDelayMilliseconds >= o.Auth.FailureDelayMilliseconds, "Auth:MaxFailureDelayMilliseconds", "must be at least Auth:FailureDelayMilliseconds");
        Require(o.Auth.MaxAttemptsPerStream >= 1, "Auth:MaxAttemptsPerStream", "must be at least 1");
        Require(o.Auth.FastTokenLifetimeDays is >= 1 and <= 3650, "Auth:FastTokenLifetimeDays", "must be between 1 and 3650");
        Require(o.Logging.Format is "text" or "json", "Logging:Format", $"'{o.Logging.Format}' is not 'text' or 'json'");
        Require(o.StreamManagement.ResumeTimeoutSeconds is >= 0 and <= 86_400, "StreamManagement:ResumeTimeoutSeconds", "must be between 0 and 86400");
        Require(o.Registration.MinSecondsBetweenRegistrations >= 0, "Registration:MinSecondsBetweenRegistrations", "must not be negative");
        for (var i = 0; i < o.Registration.AllowedAddresses.Count; i++)
        {
            var entry = o.Registration.AllowedAddresses[i];
            Require(IPNetwork.TryParse(entry, out _) || IPAddress.TryParse(entry, out _), $"Registration:AllowedAddresses:{i}", $"'{entry}' is not an IP address or network (CIDR)");
        }

        Require(o.Watchdog.IdleSeconds >= 0, "Watchdog:IdleSeconds", "must not be negative (0 turns the watchdog off)");
        Require(o.Watchdog.TimeoutSeconds >= 1, "Watchdog:TimeoutSeconds", "must be at least 1");
        Require(o.Bosh.MaxWaitSeconds is >= 1 and <= 3600, "Bosh:MaxWaitSeconds", "must be between 1 and 3600");
        Require(o.Bosh.MaxInactivitySeconds is >= 1 and <= 86400, "Bosh:MaxInactivitySeconds", "must be between 1 and 86400");
        Require(o.StreamManagement.MaxUnacked >= 10, "StreamManagement:MaxUnacked", "must be at least 10");
        Require(o.Offline.MaxMessagesPerUser >= 0, "Offline:MaxMessagesPerUser", "must not be negative");
        o.Modules.Validate();
        if (o.Cluster.Enabled)
        {
            Require(IsPostgres(o.Storage), "Cluster:Enabled", "needs Storage:Provider = postgres: the shared database is the cluster's coordination service");
        }

        if (o.Cluster.Describe() is { } clusterProblem)
        {
            throw new ConfigurationException("Configuration key " + clusterProblem);
        }
    }

    private static void ValidateEndpoint(EndpointOptions e, string key)
    {
        Require(e.Port is >= 0 and <= 65535, key + ":Port", $"must be a TCP port number (0-65535), not {e.Port}");
        Require(ParseAddress(e.Address) is not null, key + ":Address", $"'{e.Address}' is not an IP address or '*'");
    }

    /// <summary>The IP address of a listener; <c>*</c> and <c>any</c> mean all interfaces (IPv6 dual-stack).</summary>
    public static IPAddress? ParseAddress(string address) =>
        address is "*" or "any" ? IPAddress.IPv6Any : IPAddress.TryParse(address, out var ip) ? ip : null;

    /// <summary>Whether the configured backend is PostgreSQL (<c>Storage:Provider</c> is <c>postgres</c>, in any case).</summary>
    internal static bool IsPostgres(StorageOptions storage) => storage.Provider.Equals("postgres", StringComparison.OrdinalIgnoreCase);

    private static void RequireNoProblem(string? problem, string key)
    {
        if (problem is not null)
        {
            throw new ConfigurationException($"Configuration key '{key}' {problem}");
        }
    }

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            throw new ConfigurationException($"Configuration key '{key}' {problem}");
        }
    }
}
