-- FAST authentication tokens (XEP-0484): at most two per account and client installation, the 'current' slot (0) and
-- the 'new' slot (1) of XEP-0484 §6.1. owner holds the bare JID "user@domain"; SqliteAccountStore.DeleteAsync removes
-- its rows with the account. user_agent is the SASL2 user-agent id; mechanism the only mechanism the token is for;
-- token the secret (the HMAC key of the HT mechanisms, so it cannot be stored hashed); expires: Unix milliseconds.
CREATE TABLE fast_tokens (
    owner       TEXT    NOT NULL,
    user_agent  TEXT    NOT NULL,
    slot        INTEGER NOT NULL,
    mechanism   TEXT    NOT NULL,
    token       TEXT    NOT NULL,
    expires     INTEGER NOT NULL,
    PRIMARY KEY (owner, user_agent, slot)
) WITHOUT ROWID;
