namespace Rookery.Storage.Postgres;

/// <summary>One schema migration script: <c>Migrations/NNNN_name.sql</c>.</summary>
/// <param name="Version">The number prefix of the file name; migrations apply in increasing order.</param>
/// <param name="Name">The file name, recorded in <c>schema_version</c> for diagnosis.</param>
/// <param name="Sql">The script; it runs inside the migration transaction, which also records its version.</param>
internal sealed record PostgresMigration(int Version, string Name, string Sql);
