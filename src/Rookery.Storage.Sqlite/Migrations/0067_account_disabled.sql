-- Accounts an administrator disabled (XEP-0133 §4.3): 1 while disabled, when logging in is refused; their data stays.
ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
-- The disabled-users commands list a domain's disabled accounts; there are few, so a partial index keeps it cheap.
CREATE INDEX accounts_disabled ON accounts (domain) WHERE disabled = 1;
