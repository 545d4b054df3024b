-- Subscriptions waiting for an owner's approval on nodes of the authorize access model (XEP-0060 §4.5, §6.1.4):
-- 1 while pending, 0 once approved (and for every subscription to another model).
ALTER TABLE pubsub_subscriptions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
