-- Persistent multi-user chat rooms (XEP-0045) and their affiliations with reserved nicks.
-- room is the room's bare JID "room@service"; service its domain, for listing a service's rooms.
-- config is the room configuration as JSON, written and read by the MUC service only.

CREATE TABLE muc_rooms (
    room         text COLLATE "C" NOT NULL PRIMARY KEY,
    service      text COLLATE "C" NOT NULL,
    config       text NOT NULL,
    subject      text,
    subject_nick text
);

CREATE INDEX muc_rooms_service ON muc_rooms (service);

CREATE TABLE muc_affiliations (
    room        text COLLATE "C" NOT NULL REFERENCES muc_rooms (room) ON DELETE CASCADE,
    jid         text COLLATE "C" NOT NULL,
    affiliation text NOT NULL,
    reason      text,
    nick        text,
    PRIMARY KEY (room, jid)
);
