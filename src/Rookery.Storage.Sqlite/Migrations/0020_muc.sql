-- Persistent multi-user chat rooms (XEP-0045) and their affiliations with reserved nicks.
-- room is the room's bare JID "room@service"; service its domain, for listing a service's rooms.
-- config is the room configuration as JSON, written and read by the MUC service only.

CREATE TABLE muc_rooms (
    room         TEXT NOT NULL PRIMARY KEY,
    service      TEXT NOT NULL,
    config       TEXT NOT NULL,
    subject      TEXT,
    subject_nick TEXT
) WITHOUT ROWID;

CREATE INDEX muc_rooms_service ON muc_rooms (service);

CREATE TABLE muc_affiliations (
    room        TEXT NOT NULL REFERENCES muc_rooms (room) ON DELETE CASCADE,
    jid         TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    reason      TEXT,
    nick        TEXT,
    PRIMARY KEY (room, jid)
) WITHOUT ROWID;
