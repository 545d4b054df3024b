-- Per-user XML documents (vCard-temp, private XML storage) and last logout times (XEP-0012).
-- Owner columns hold the bare JID "user@domain"; PostgresAccountStore.DeleteAsync removes their rows with the account.

-- kind names the feature ("vcard", "private"), item the document within it (the root element in Clark notation).
CREATE TABLE user_data (
    owner text COLLATE "C" NOT NULL,
    kind  text COLLATE "C" NOT NULL,
    item  text COLLATE "C" NOT NULL,
    xml   text             NOT NULL,
    PRIMARY KEY (owner, kind, item)
);

-- stamp: the last available-to-unavailable transition; status: its status text ('' when none).
CREATE TABLE last_activity (
    owner  text COLLATE "C" NOT NULL PRIMARY KEY,
    stamp  timestamptz      NOT NULL,
    status text             NOT NULL
);
