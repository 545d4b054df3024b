-- Multi-user chat rooms on a cluster (issue #7): which node hosts each room, and one record per occupant so that a
-- new host rebuilds the occupants after the old one died. A single node keeps these tables empty.

CREATE TABLE muc_room_hosts (
    room    TEXT NOT NULL PRIMARY KEY,
    node_id INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX muc_room_hosts_node ON muc_room_hosts (node_id);

CREATE TABLE muc_occupants (
    room        TEXT NOT NULL,
    nick        TEXT NOT NULL,
    real_jid    TEXT NOT NULL,
    node_id     INTEGER NOT NULL,
    role        TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    presence    TEXT,
    PRIMARY KEY (room, nick)
) WITHOUT ROWID;
