-- Message archives (XEP-0313) and archiving preferences (XEP-0441). Number 0003 is reserved by the SQLite backend for a
-- feature still in development; the migrator applies it whenever it arrives.
-- Owner columns hold the bare JID "user@domain"; PostgresAccountStore.DeleteAsync removes their rows with the account.

-- id: the archive id; ids increase with time, and their byte order (the "C" collation, as SQLite's BINARY) is the
-- archive's order. with_jid: the bare JID of the other party; with_resource: its resource, NULL for a bare address.
-- stamp: when it was archived; direction: 0 incoming, 1 outgoing; stanza: the message as XML.
CREATE TABLE mam_messages (
    owner         text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    with_jid      text COLLATE "C" NOT NULL,
    with_resource text COLLATE "C",
    stamp         timestamptz      NOT NULL,
    direction     smallint         NOT NULL CHECK (direction IN (0, 1)),
    stanza        text             NOT NULL,
    PRIMARY KEY (owner, id)
);

CREATE INDEX mam_messages_owner_with_id ON mam_messages (owner, with_jid, id);
-- Retention prunes by age across all archives.
CREATE INDEX mam_messages_stamp ON mam_messages (stamp);

-- default_mode: 0 always, 1 roster, 2 never (ArchiveDefault).
CREATE TABLE mam_prefs (
    owner        text COLLATE "C" NOT NULL PRIMARY KEY,
    default_mode smallint         NOT NULL CHECK (default_mode BETWEEN 0 AND 2)
);

-- The always (true) and never (false) lists; the key keeps a JID in one list only.
CREATE TABLE mam_prefs_jids (
    owner  text COLLATE "C" NOT NULL,
    jid    text COLLATE "C" NOT NULL,
    always boolean          NOT NULL,
    PRIMARY KEY (owner, jid)
);
