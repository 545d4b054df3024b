-- Cluster membership (issue #4): the node registry that PostgreSQL keeps as the cluster's coordination service.
-- One row per node start: node_id is the incarnation (a restarted node registers again with a new id), and the
-- session-level advisory lock (hashtext('rookery.node:' || schema), node_id) held by the node is its proof of life.
-- state: joining -> alive -> draining -> left, or dead (declared once, by exactly one survivor, with a conditional
-- update). sessions and links are refreshed with every heartbeat for `rookery cluster status`.

CREATE TABLE cluster_nodes (
    node_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text        NOT NULL,
    host             text        NOT NULL,
    cluster_port     integer     NOT NULL,
    client_port      integer     NOT NULL,
    version          text        NOT NULL,
    protocol_version integer     NOT NULL,
    started_at       timestamptz NOT NULL,
    heartbeat_at     timestamptz NOT NULL,
    state            text        NOT NULL,
    sessions         integer     NOT NULL DEFAULT 0,
    links            text        NOT NULL DEFAULT '',
    declared_by      bigint      NULL,
    CONSTRAINT cluster_nodes_state CHECK (state IN ('joining', 'alive', 'draining', 'left', 'dead'))
);

CREATE INDEX cluster_nodes_live ON cluster_nodes (state) WHERE state IN ('joining', 'alive', 'draining');
