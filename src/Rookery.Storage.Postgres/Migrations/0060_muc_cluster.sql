-- Multi-user chat rooms on a cluster (issue #7): which node hosts each room (the primary key makes the claim a
-- compare-and-set insert, so a room never exists twice), and one record per occupant so that a new host rebuilds the
-- occupants after the old one died.

CREATE TABLE muc_room_hosts (
    room       text COLLATE "C" NOT NULL PRIMARY KEY,
    node_id    bigint NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX muc_room_hosts_node ON muc_room_hosts (node_id);

CREATE TABLE muc_occupants (
    room        text COLLATE "C" NOT NULL,
    nick        text COLLATE "C" NOT NULL,
    real_jid    text NOT NULL,
    node_id     bigint NOT NULL,
    role        text NOT NULL,
    affiliation text NOT NULL,
    presence    text,
    PRIMARY KEY (room, nick)
);
