-- Blocked JIDs per user (XEP-0191 blocking command).
-- owner holds the bare JID "user@domain"; PostgresAccountStore.DeleteAsync removes its rows with the account.
-- jid is the prepared text of a full JID, bare JID, domain or domain/resource.

CREATE TABLE block_list (
    owner text COLLATE "C" NOT NULL,
    jid   text COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, jid)
);
