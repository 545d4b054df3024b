-- Subscriptions waiting for an owner's approval on nodes of the authorize access model (XEP-0060 §4.5, §6.1.4):
-- true while pending, false once approved (and for every subscription to another model).
ALTER TABLE pubsub_subscriptions ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;
