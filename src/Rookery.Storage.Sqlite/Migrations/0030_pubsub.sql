-- Personal eventing (XEP-0163) nodes on a pubsub core (XEP-0060).
-- owner holds the bare JID "user@domain"; SqliteAccountStore.DeleteAsync removes its rows with the account.

-- config: the node configuration as a JSON object of field name -> value (PubsubConfigJson).
CREATE TABLE pubsub_nodes (
    owner  TEXT NOT NULL,
    node   TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (owner, node)
) WITHOUT ROWID;

-- seq: the publication order within the node (a re-published id gets a new, higher seq); published: unix
-- milliseconds; payload: the item's content as XML. A rowid table: rows carry payloads (avatars) far larger than
-- SQLite advises for WITHOUT ROWID.
CREATE TABLE pubsub_items (
    owner     TEXT    NOT NULL,
    node      TEXT    NOT NULL,
    item_id   TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    publisher TEXT    NOT NULL,
    published INTEGER NOT NULL,
    payload   TEXT    NOT NULL,
    FOREIGN KEY (owner, node) REFERENCES pubsub_nodes (owner, node) ON DELETE CASCADE
);

CREATE UNIQUE INDEX pubsub_items_id ON pubsub_items (owner, node, item_id);
CREATE INDEX pubsub_items_seq ON pubsub_items (owner, node, seq);
