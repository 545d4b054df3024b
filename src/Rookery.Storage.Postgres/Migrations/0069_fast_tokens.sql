-- FAST authentication tokens (XEP-0484): at most two per account and client installation, the 'current' slot (0) and
-- the 'new' slot (1) of XEP-0484 §6.1. owner holds the bare JID "user@domain"; PostgresAccountStore.DeleteAsync removes
-- its rows with the account. user_agent is the SASL2 user-agent id; mechanism the only mechanism the token is for;
-- token the secret (the HMAC key of the HT mechanisms, so it cannot be stored hashed).
CREATE TABLE fast_tokens (
    owner       text COLLATE "C" NOT NULL,
    user_agent  text COLLATE "C" NOT NULL,
    slot        smallint         NOT NULL,
    mechanism   text             NOT NULL,
    token       text             NOT NULL,
    expires     timestamptz      NOT NULL,
    PRIMARY KEY (owner, user_agent, slot)
);
