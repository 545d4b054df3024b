-- Several subscriptions of one JID to one node (XEP-0060 §6.1.6, multi-subscribe), told apart by their subid, and the
-- options of each subscription (§6.3). The primary key moves from (service, node, jid) to (service, node, subid),
-- which replaces the unique constraint on the subid.
-- options: the pubsub#subscribe_options fields the subscriber set, as a JSON object of field name to value (several
-- values joined by a line feed); NULL for the defaults.
ALTER TABLE pubsub_subscriptions DROP CONSTRAINT pubsub_subscriptions_pkey;
ALTER TABLE pubsub_subscriptions DROP CONSTRAINT pubsub_subscriptions_service_node_subid_key;
ALTER TABLE pubsub_subscriptions ADD PRIMARY KEY (service, node, subid);
ALTER TABLE pubsub_subscriptions ADD COLUMN options text;
CREATE INDEX pubsub_subscriptions_jid ON pubsub_subscriptions (service, node, jid);
