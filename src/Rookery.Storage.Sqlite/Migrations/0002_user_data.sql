-- Per-user XML documents (vCard-temp, private XML storage) and last logout times (XEP-0012).
-- Owner columns hold the bare JID "user@domain"; SqliteAccountStore.DeleteAsync removes their rows with the account.

-- kind names the feature ("vcard", "private"), item the document within it (the root element in Clark notation).
CREATE TABLE user_data (
    owner TEXT NOT NULL,
    kind  TEXT NOT NULL,
    item  TEXT NOT NULL,
    xml   TEXT NOT NULL,
    PRIMARY KEY (owner, kind, item)
) WITHOUT ROWID;

-- stamp: unix milliseconds of the last available-to-unavailable transition; status: its status text ('' when none).
CREATE TABLE last_activity (
    owner  TEXT    NOT NULL PRIMARY KEY,
    stamp  INTEGER NOT NULL,
    status TEXT    NOT NULL
) WITHOUT ROWID;
