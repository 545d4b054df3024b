-- Accounts, rosters, subscription requests and offline messages.
-- Owner columns hold the bare JID "user@domain"; SqliteAccountStore.DeleteAsync removes their rows in the same
-- transaction as the account, since they cannot reference accounts(domain, username) directly.
-- Timestamps are unix milliseconds.

CREATE TABLE accounts (
    domain     TEXT    NOT NULL,
    username   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (domain, username)
) WITHOUT ROWID;

CREATE TABLE credentials (
    domain     TEXT    NOT NULL,
    username   TEXT    NOT NULL,
    mechanism  TEXT    NOT NULL,
    salt       BLOB    NOT NULL,
    iterations INTEGER NOT NULL,
    stored_key BLOB    NOT NULL,
    server_key BLOB    NOT NULL,
    PRIMARY KEY (domain, username, mechanism),
    FOREIGN KEY (domain, username) REFERENCES accounts (domain, username) ON DELETE CASCADE
) WITHOUT ROWID;

-- groups: a JSON array of strings, in the order the client gave them.
-- version: the roster version at which the item was last written (XEP-0237).
CREATE TABLE roster_items (
    owner        TEXT    NOT NULL,
    contact      TEXT    NOT NULL,
    name         TEXT,
    subscription INTEGER NOT NULL CHECK (subscription BETWEEN 0 AND 3),
    pending_out  INTEGER NOT NULL CHECK (pending_out IN (0, 1)),
    groups       TEXT    NOT NULL DEFAULT '[]',
    version      INTEGER NOT NULL,
    PRIMARY KEY (owner, contact)
) WITHOUT ROWID;

-- One counter per owner, bumped by every item write or removal; it never goes back while the account exists.
CREATE TABLE roster_versions (
    owner   TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;

-- id orders the requests by arrival; a repeated request from the same contact is deleted and re-inserted,
-- so it moves to the end.
CREATE TABLE pending_in (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    owner   TEXT    NOT NULL,
    contact TEXT    NOT NULL,
    stanza  TEXT    NOT NULL,
    created INTEGER NOT NULL,
    UNIQUE (owner, contact)
);

-- AUTOINCREMENT so that ids are never reused, even after the newest message was removed.
CREATE TABLE offline (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    owner  TEXT    NOT NULL,
    stanza TEXT    NOT NULL,
    stamp  INTEGER NOT NULL
);

CREATE INDEX offline_owner_id ON offline (owner, id);
