-- Cluster membership (issue #4). A cluster runs only on PostgreSQL (Cluster:Enabled needs Storage:Provider = postgres),
-- whose 0010_cluster.sql holds the node registry. This script keeps the two backends' migration numbers equal (one
-- feature, one number) and records, in an empty table of the same shape, that a SQLite node is always alone.

CREATE TABLE cluster_nodes (
    node_id          INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    host             TEXT    NOT NULL,
    cluster_port     INTEGER NOT NULL,
    client_port      INTEGER NOT NULL,
    version          TEXT    NOT NULL,
    protocol_version INTEGER NOT NULL,
    started_at       TEXT    NOT NULL,
    heartbeat_at     TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    sessions         INTEGER NOT NULL DEFAULT 0,
    links            TEXT    NOT NULL DEFAULT '',
    declared_by      INTEGER NULL
);
