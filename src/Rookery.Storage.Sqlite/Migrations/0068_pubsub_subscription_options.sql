-- Several subscriptions of one JID to one node (XEP-0060 §6.1.6, multi-subscribe), told apart by their subid, and the
-- options of each subscription (§6.3). The primary key moves from (service, node, jid) to (service, node, subid), which
-- SQLite can only do by rebuilding the table.
-- options: the pubsub#subscribe_options fields the subscriber set, as a JSON object of field name to value (several
-- values joined by a line feed); NULL for the defaults.
CREATE TABLE pubsub_subscriptions_new (
    service TEXT NOT NULL,
    node    TEXT NOT NULL,
    jid     TEXT NOT NULL,
    account TEXT NOT NULL,
    subid   TEXT NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    options TEXT,
    PRIMARY KEY (service, node, subid),
    FOREIGN KEY (service, node) REFERENCES pubsub_nodes (owner, node) ON DELETE CASCADE
) WITHOUT ROWID;

INSERT INTO pubsub_subscriptions_new (service, node, jid, account, subid, pending)
SELECT service, node, jid, account, subid, pending FROM pubsub_subscriptions;

DROP TABLE pubsub_subscriptions;
ALTER TABLE pubsub_subscriptions_new RENAME TO pubsub_subscriptions;

CREATE INDEX pubsub_subscriptions_account ON pubsub_subscriptions (account, service);
CREATE INDEX pubsub_subscriptions_jid ON pubsub_subscriptions (service, node, jid);
