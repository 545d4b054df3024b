-- Personal eventing (XEP-0163) nodes on a pubsub core (XEP-0060).
-- owner holds the bare JID "user@domain"; PostgresAccountStore.DeleteAsync removes its rows with the account.

-- config: the node configuration as a JSON object of field name -> value (PubsubConfigJson).
CREATE TABLE pubsub_nodes (
    owner  text COLLATE "C" NOT NULL,
    node   text COLLATE "C" NOT NULL,
    config text             NOT NULL,
    PRIMARY KEY (owner, node)
);

-- seq: the publication order within the node (a re-published id gets a new, higher seq); published: when;
-- payload: the item's content as XML.
CREATE TABLE pubsub_items (
    owner     text COLLATE "C" NOT NULL,
    node      text COLLATE "C" NOT NULL,
    item_id   text COLLATE "C" NOT NULL,
    seq       bigint           NOT NULL,
    publisher text             NOT NULL,
    published timestamptz      NOT NULL,
    payload   text             NOT NULL,
    PRIMARY KEY (owner, node, item_id),
    FOREIGN KEY (owner, node) REFERENCES pubsub_nodes (owner, node) ON DELETE CASCADE
);

CREATE INDEX pubsub_items_seq ON pubsub_items (owner, node, seq);
