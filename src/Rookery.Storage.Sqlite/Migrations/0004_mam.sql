-- Message archives (XEP-0313) and archiving preferences (XEP-0441).
-- Owner columns hold the bare JID "user@domain"; SqliteAccountStore.DeleteAsync removes their rows with the account.

-- id: the archive id; ids increase with time, and their ordinal (BINARY) order is the archive's order.
-- with_jid: the bare JID of the other party; with_resource: its resource, NULL for a bare address.
-- stamp: unix milliseconds of archiving; direction: 0 incoming, 1 outgoing; stanza: the message as XML.
-- A rowid table rather than WITHOUT ROWID: rows carry whole stanzas, far larger than SQLite advises for the latter.
CREATE TABLE mam_messages (
    owner         TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    with_jid      TEXT    NOT NULL,
    with_resource TEXT,
    stamp         INTEGER NOT NULL,
    direction     INTEGER NOT NULL CHECK (direction IN (0, 1)),
    stanza        TEXT    NOT NULL
);

CREATE UNIQUE INDEX mam_messages_owner_id ON mam_messages (owner, id);
CREATE INDEX mam_messages_owner_with_id ON mam_messages (owner, with_jid, id);
-- Retention prunes by age across all archives.
CREATE INDEX mam_messages_stamp ON mam_messages (stamp);

-- default_mode: 0 always, 1 roster, 2 never (ArchiveDefault).
CREATE TABLE mam_prefs (
    owner        TEXT    NOT NULL PRIMARY KEY,
    default_mode INTEGER NOT NULL CHECK (default_mode BETWEEN 0 AND 2)
) WITHOUT ROWID;

-- The always (1) and never (0) lists; the key keeps a JID in one list only.
CREATE TABLE mam_prefs_jids (
    owner  TEXT    NOT NULL,
    jid    TEXT    NOT NULL,
    always INTEGER NOT NULL CHECK (always IN (0, 1)),
    PRIMARY KEY (owner, jid)
) WITHOUT ROWID;
