namespace Rookery.Cluster;

/// <summary>What the cluster needs to know about the node it runs in: where its database is and how clients reach it.</summary>
/// <param name="ConnectionString">The PostgreSQL connection string of <c>Storage:Postgres</c>.</param>
/// <param name="Schema">The PostgreSQL schema of <c>Storage:Postgres</c> (the registry lives next to the other tables).</param>
/// <param name="ClientPort">The client (STARTTLS) port, advertised for <c>see-other-host</c>.</param>
/// <param name="Version">The server version, recorded in the registry.</param>
public sealed record ClusterEnvironment(string ConnectionString, string Schema, int ClientPort, string Version)
{
    /// <summary>
    /// Drops the storage's pooled database connections; called when the database is reachable again, before logins
    /// resume, so that the first logins do not borrow connections that died with the outage.
    /// </summary>
    public Action? ClearStoragePool { get; init; }
}
