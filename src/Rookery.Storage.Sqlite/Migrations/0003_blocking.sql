-- Blocked JIDs per user (XEP-0191 blocking command).
-- owner holds the bare JID "user@domain"; SqliteAccountStore.DeleteAsync removes its rows with the account.
-- jid is the prepared text of a full JID, bare JID, domain or domain/resource.

CREATE TABLE block_list (
    owner TEXT NOT NULL,
    jid   TEXT NOT NULL,
    PRIMARY KEY (owner, jid)
) WITHOUT ROWID;
